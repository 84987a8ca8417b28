// AotMain.cpp — main() of an executable made by `borel build`.
//
//   PROGRAM [--seed N] [--threads N] [--output FILE.csv|.json] [-- ARGS]
//
// The program's object file (compiler/backend/Aot.h) provides `__main.closure` and
// borel_aot_init(); this runs it like `borel run` does (tools/ProgramRunner.h),
// with the same options, results and exit codes, but without LLVM or the
// compiler in the process.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/Value.h"
#include "tools/ProgramRunner.h"
#include "tools/SeedOption.h"

extern "C" void borel_aot_init();
extern const char borel_main_closure __asm__("__main.closure");

int main(int argc, char** argv) {
  borel::rt::gc_init();
  borel::tools::install_fault_handler();
  CLI::App app{"A Borel program compiled by `borel build`"};
  borel::abi::RunOptions opts;
  std::string output;
  app.add_option("--seed", opts.seed, "random seed: the same seed gives the same result")
      ->check(borel::tools::seed_validator());
  app.add_option("--threads", opts.threads, "worker threads for inference (results do not depend on it)")
      ->check(CLI::Range(1, 256));
  app.add_option("--output", output, "write the last infer result's samples and weights (.csv or .json)");
  app.add_option("args", opts.args, "arguments after --, for the program");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : borel::tools::kExitUsage;
  }
  opts.progress = isatty(2);
  try {
    borel_aot_init();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error (a bug in Borel): %s\n", e.what());
    return borel::tools::kExitInternal;
  }
  return borel::tools::run_program(reinterpret_cast<borel::rt::Word>(&borel_main_closure), opts, argv[0], output);
}
