// bench_compile.cpp — time from Borel source to runnable native code.
//
// Each benchmark compiles one program through every stage (parse, type
// check, lower, passes, LLVM codegen, O2, JIT) and checks that it compiled
// before timing it. Reports milliseconds per compilation.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "compiler/Pipeline.h"
#include "runtime/Value.h"

namespace {

void compile_file(benchmark::State& state, const std::string& path) {
  borel::CompileResult first = borel::compile(path, "", borel::Emit::None);
  if (!first.ok) {
    state.SkipWithError(("does not compile: " + first.diagnostics).c_str());
    return;
  }
  for (auto _ : state) {
    borel::CompileResult r = borel::compile(path, "", borel::Emit::None);
    benchmark::DoNotOptimize(r.program->entry);
  }
}

}  // namespace

int main(int argc, char** argv) {
  borel::rt::gc_init();
  const std::string root = BOREL_SOURCE_DIR;
  for (const char* name : {"coin", "lgssm", "regression", "sprinkler"}) {
    std::string path = root + "/examples/" + name + ".brl";
    benchmark::RegisterBenchmark((std::string("compile/examples/") + name).c_str(),
                                 [path](benchmark::State& s) { compile_file(s, path); })
        ->Unit(benchmark::kMillisecond);
  }
  std::string big = root + "/bench/compile/hundred_lines.brl";
  benchmark::RegisterBenchmark("compile/hundred_lines", [big](benchmark::State& s) { compile_file(s, big); })
      ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
