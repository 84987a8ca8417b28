// ProgramRunner.cpp — see ProgramRunner.h.
#include "tools/ProgramRunner.h"

#include <gc/gc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <new>

#include "inference/Output.h"
#include "runtime/Model.h"

namespace borel::tools {

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

int run_program(rt::Word entry, const abi::RunOptions& opts, const std::string& file, const std::string& output) {
  if (!output.empty()) {
    try {
      borel::inference::check_output_path(output);
    } catch (const borel::rt::RuntimeError& e) {
      std::cerr << "error: " << e.message << "\n";
      return kExitUsage;
    }
  }
  int status = run_on_big_stack([&] {
    try {
      borel::abi::run_entry(entry, opts);
      return 0;
    } catch (const borel::rt::RuntimeError& e) {
      std::fflush(stdout);
      std::cerr << (e.where.empty() ? std::string(file) : e.where) << ": error: " << e.message << "\n";
      return kExitProgramError;
    } catch (const std::bad_alloc&) {
      // Memory that inference or the runtime's C++ code could not get (the
      // program's own allocations are located: RuntimeAbi.cpp).
      std::fflush(stdout);
      std::cerr << file << ": error: out of memory\n";
      return kExitProgramError;
    } catch (const std::exception& e) {
      std::fflush(stdout);
      std::cerr << "internal error (a bug in Borel): " << e.what() << "\n";
      return kExitInternal;
    }
  });
  if (status != 0) return status;
  std::fflush(stdout);
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

}  // namespace borel::tools
