// borel.cpp — the `borel` command.
//
//   borel run FILE [--seed N] [--threads N] [--output FILE.csv|.json] [--time]
//   borel check FILE
//   borel build FILE [-o OUT]      a native executable (no LLVM in it)
//   borel repl [--seed N]
//   borel --emit=tokens|ast|typed|ir|llvm FILE
//   borel lm generate|score ...
//
// Exit codes: 0 success; 1 an error in the program (compile or run time);
// 2 bad command-line usage; 70 an internal error (a bug in Borel).
#include <CLI/CLI.hpp>

#include <gc/gc.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/Pipeline.h"
#include "runtime/abi/RuntimeAbi.h"
#include "inference/Output.h"
#include "runtime/Model.h"
#include "runtime/Value.h"
#include "AotLink.h"
#include "tools/ProgramRunner.h"
#include "tools/Repl.h"
#include "tools/SeedOption.h"

#ifdef BOREL_HAVE_LM
#include "tools/lm/LmCommand.h"
#endif

namespace {

using borel::tools::kExitInternal;
using borel::tools::kExitProgramError;
using borel::tools::kExitUsage;

borel::Emit parse_emit(const std::string& s) {
  if (s == "tokens") return borel::Emit::Tokens;
  if (s == "ast") return borel::Emit::Ast;
  if (s == "typed") return borel::Emit::Typed;
  if (s == "ir") return borel::Emit::Ir;
  if (s == "llvm") return borel::Emit::Llvm;
  throw CLI::ValidationError("--emit", "must be one of tokens, ast, typed, ir, llvm");
}

int run_file(const std::string& file, borel::Emit emit, uint64_t seed, int threads, const std::string& output,
             bool time, const std::vector<std::string>& program_args = {}) {
  auto t0 = std::chrono::steady_clock::now();
  borel::CompileResult r = borel::compile(file, "", emit);
  std::cerr << r.diagnostics;
  if (!r.ok) {
    std::cerr << (r.diagnostics.empty() ? "error: compilation failed\n" : "");
    return kExitProgramError;
  }
  if (emit != borel::Emit::None) {
    std::cout << r.emitted;
    return 0;
  }
  auto t1 = std::chrono::steady_clock::now();
  if (time) {
    for (auto& s : r.program->times) std::fprintf(stderr, "  %-10s %8.2f ms\n", s.stage.c_str(), s.seconds * 1e3);
    std::fprintf(stderr, "compile: %.1f ms\n", std::chrono::duration<double>(t1 - t0).count() * 1e3);
  }
  borel::abi::RunOptions opts;
  opts.seed = seed;
  opts.threads = threads;
  opts.progress = isatty(2);
  opts.args = program_args;
  const int status = borel::tools::run_program(r.program->entry, opts, file, output);
  if (time) {
    auto t2 = std::chrono::steady_clock::now();
    std::fprintf(stderr, "run: %.1f ms\n", std::chrono::duration<double>(t2 - t1).count() * 1e3);
  }
  return status;
}

// `borel build`: the program as an object file (compiler/backend/Aot.h), linked by
// the C++ compiler driver with the runtime libraries of this build
// (AotLink.h) into an executable that runs like `borel run FILE`.
int build_file(const std::string& file, std::string out) {
  if (out.empty()) out = std::filesystem::path(file).stem().string();
  if (std::filesystem::is_directory(out)) {
    std::cerr << "error: " << out << " is a directory; name the executable with -o\n";
    return kExitUsage;
  }
  const std::string object = out + ".o";
  // Compiled from its absolute path: the executable may run from any
  // directory, and the data files the program reads are found next to it.
  const std::string source = std::filesystem::absolute(file).lexically_normal().string();
  borel::CompileResult r = borel::compile(source, "", borel::Emit::Object, {}, object);
  std::cerr << r.diagnostics;
  if (!r.ok) {
    std::cerr << (r.diagnostics.empty() ? "error: compilation failed\n" : "");
    return kExitProgramError;
  }
  std::vector<std::string> args{borel::tools::kAotLinker, "-o", out, object};
  for (const char* in : borel::tools::kAotLinkInputs) args.emplace_back(in);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int status = -1;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0 || waitpid(pid, &status, 0) < 0) {
    std::cerr << "error: cannot run the linker " << argv[0] << "\n";
    return kExitInternal;
  }
  std::remove(object.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "internal error (a bug in Borel): linking " << out << " failed\n";
    return kExitInternal;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  borel::rt::gc_init();
  borel::tools::install_fault_handler();
#ifdef BOREL_HAVE_LM
  if (argc >= 2 && std::string(argv[1]) == "lm") return borel::tools::run_lm_command(argc - 1, argv + 1);
#endif
  CLI::App app{"Borel: a probabilistic programming language compiled through LLVM"};
  app.set_version_flag("--version", "borel 0.1.0");
  app.require_subcommand(0, 1);
  std::string emit_s, emit_file;
  app.add_option("--emit", emit_s, "print a compiler stage instead of running: tokens, ast, typed, ir, llvm");
  app.add_option("emit_file", emit_file, "the file for --emit");

  std::string file, output;
  uint64_t seed = 0;
  int threads = 1;
  bool time = false;
  CLI::App* run = app.add_subcommand("run", "compile a program and run its main()");
  run->add_option("file", file, "the .brl program")->required();
  run->add_option("--seed", seed, "random seed: the same seed gives the same result")
      ->check(borel::tools::seed_validator());
  run->add_option("--threads", threads, "worker threads for inference (results do not depend on it)")
      ->check(CLI::Range(1, 256));
  run->add_option("--output", output, "write the last infer result's samples and weights (.csv or .json)");
  run->add_flag("--time", time, "print the time of each compiler stage and of the run");
  std::vector<std::string> program_args;
  run->add_option("args", program_args, "arguments after --, for the program");

  std::string build_in, build_out;
  CLI::App* build = app.add_subcommand("build", "compile a program into a native executable (no LLVM in it)");
  build->add_option("file", build_in, "the .brl program")->required();
  build->add_option("-o,--output", build_out, "the executable (default: the file's name without .brl)");

  std::string check_file;
  CLI::App* check = app.add_subcommand("check", "type-check a program without running it");
  check->add_option("file", check_file, "the .brl program")->required();
  uint64_t repl_seed = 0;
  CLI::App* repl = app.add_subcommand("repl", "an interactive session: definitions and expressions");
  repl->add_option("--seed", repl_seed, "seed of the first evaluation (each evaluation uses the next)")
      ->check(borel::tools::seed_validator());
  app.footer("lm: `borel lm --help` for the language-model engine.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  try {
    if (*run) return run_file(file, borel::Emit::None, seed, threads, output, time, program_args);
    if (*check) return run_file(check_file, borel::Emit::Check, 0, 1, "", false);
    if (*build) return build_file(build_in, build_out);
    if (*repl) return borel::tools::run_repl(std::cin, std::cout, std::cerr, isatty(0), repl_seed);
    if (!emit_s.empty()) {
      if (emit_file.empty()) {
        std::cerr << "error: --emit needs a file\n";
        return kExitUsage;
      }
      return run_file(emit_file, parse_emit(emit_s), 0, 1, "", false);
    }
    std::cout << app.help();
    return kExitUsage;
  } catch (const CLI::ValidationError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const borel::InternalError& e) {
    std::cerr << "internal error (a bug in Borel): " << e.what() << "\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "internal error (a bug in Borel): " << e.what() << "\n";
    return kExitInternal;
  }
}
