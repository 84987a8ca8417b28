// borel.cpp — the `borel` command.
//
//   borel run FILE [--seed N] [--threads N] [--output FILE.csv|.json] [--time]
//   borel check FILE
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
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>

#include "compiler/Diagnostics.h"
#include "compiler/Pipeline.h"
#include "compiler/RuntimeAbi.h"
#include "inference/Output.h"
#include "runtime/Model.h"
#include "runtime/Value.h"
#include "tools/Repl.h"

#ifdef BOREL_HAVE_LM
#include "tools/lm/LmCommand.h"
#endif

namespace {

constexpr int kExitProgramError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 70;

borel::Emit parse_emit(const std::string& s) {
  if (s == "tokens") return borel::Emit::Tokens;
  if (s == "ast") return borel::Emit::Ast;
  if (s == "typed") return borel::Emit::Typed;
  if (s == "ir") return borel::Emit::Ir;
  if (s == "llvm") return borel::Emit::Llvm;
  throw CLI::ValidationError("--emit", "must be one of tokens, ast, typed, ir, llvm");
}

// Programs run on a thread with a large stack (deep recursion is ordinary in
// a functional language) whose lowest page is a guard: running off the end
// is reported as an error, not a crash. Any other fault is a bug in Borel.
constexpr size_t kProgramStack = size_t{1} << 30;  // reserved, not committed
constexpr size_t kGuard = 1 << 16;
char* g_stack_low = nullptr;

void on_fault(int sig, siginfo_t* info, void* context) {
  std::fflush(stdout);
  auto* addr = static_cast<char*>(info->si_addr);
  bool overflow = g_stack_low && addr >= g_stack_low - kGuard && addr < g_stack_low + 2 * kGuard;
#if defined(__x86_64__)
  // Any thread (inference workers too): a fault just below the stack pointer
  // is running off the end of that thread's stack.
  auto* sp = reinterpret_cast<char*>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RSP]);
  if (addr <= sp + 256 && addr + kGuard >= sp) overflow = true;
#endif
  const char* msg = overflow ? "error: the program ran out of stack: recursion too deep\n"
                             : "internal error (a bug in Borel): the program crashed\n";
  ssize_t ignored = write(2, msg, std::strlen(msg));
  (void)ignored;
  _exit(overflow ? kExitProgramError : kExitInternal);
  (void)sig;
}

void install_fault_handler() {
  static char alt[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt;
  ss.ss_size = sizeof alt;
  sigaltstack(&ss, nullptr);
  struct sigaction sa{};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
}

int run_on_big_stack(const std::function<int()>& body) {
  void* mem = mmap(nullptr, kProgramStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) return body();
  mprotect(mem, kGuard, PROT_NONE);
  g_stack_low = static_cast<char*>(mem) + kGuard;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, mem, kProgramStack);
  struct Job {
    const std::function<int()>* body;
    int result;
  } job{&body, kExitInternal};
  pthread_t t;
  auto entry = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    // The alternate signal stack is per thread.
    install_fault_handler();
    j->result = (*j->body)();
    return nullptr;
  };
  if (GC_pthread_create(&t, &attr, entry, &job) != 0) return body();
  GC_pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  return job.result;
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
  int status = run_on_big_stack([&] {
    try {
      borel::abi::run_entry(r.program->entry, opts);
      return 0;
    } catch (const borel::rt::RuntimeError& e) {
      std::fflush(stdout);
      std::cerr << (e.where.empty() ? std::string(file) : e.where) << ": error: " << e.message << "\n";
      return kExitProgramError;
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::cerr << "internal error (a bug in Borel): " << e.what() << "\n";
      return kExitInternal;
    }
  });
  if (status != 0) return status;
  std::fflush(stdout);
  auto t2 = std::chrono::steady_clock::now();
  if (time) std::fprintf(stderr, "run: %.1f ms\n", std::chrono::duration<double>(t2 - t1).count() * 1e3);
  if (!output.empty()) {
    auto res = borel::abi::last_top_level_result();
    if (!res.dist || !res.type) {
      std::cerr << "error: --output: the program computed no infer result to write\n";
      return kExitProgramError;
    }
    try {
      borel::inference::write_samples(*res.dist, *res.type, output);
    } catch (const borel::rt::RuntimeError& e) {
      std::cerr << e.what() << "\n";
      return kExitProgramError;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  borel::rt::gc_init();
  install_fault_handler();
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
  run->add_option("--seed", seed, "random seed: the same seed gives the same result");
  run->add_option("--threads", threads, "worker threads for inference (results do not depend on it)")
      ->check(CLI::Range(1, 256));
  run->add_option("--output", output, "write the last infer result's samples and weights (.csv or .json)");
  run->add_flag("--time", time, "print the time of each compiler stage and of the run");
  std::vector<std::string> program_args;
  run->add_option("args", program_args, "arguments after --, for the program");

  std::string check_file;
  CLI::App* check = app.add_subcommand("check", "type-check a program without running it");
  check->add_option("file", check_file, "the .brl program")->required();
  uint64_t repl_seed = 0;
  CLI::App* repl = app.add_subcommand("repl", "an interactive session: definitions and expressions");
  repl->add_option("--seed", repl_seed, "seed of the first evaluation (each evaluation uses the next)");
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
