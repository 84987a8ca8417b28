// Parallel.cpp — the particle worker pool (see Parallel.h).
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include "inference/Parallel.h"

#include <gc/gc.h>

#include <signal.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include "runtime/Value.h"

namespace borel::inference {

namespace {
// Workers run models, whose recursion may be as deep as on the program's own
// stack (tools/ProgramRunner.h): the same 1 GiB, reserved, not committed
// (pages are touched only as the stack grows), with a guard page at the end
// so that running off it is reported as a stack overflow.
constexpr size_t kWorkerStack = size_t{1} << 30;
constexpr size_t kWorkerGuard = size_t{1} << 16;

}  // namespace

WorkerPool::WorkerPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_ = threads;
  errors_.resize(static_cast<size_t>(size_));
  if (size_ <= 1) return;
  rt::gc_init();
  threads_.reserve(static_cast<size_t>(size_ - 1));
  // A thread the system refuses (out of memory or of threads) must not leave
  // the ones already started waiting on a pool that no longer exists (that
  // hung the process): run with those that started. Results do not depend
  // on the number of threads (streams belong to particle slots), so this
  // changes only the speed, and the warning says so.
  for (int k = 1; k < size_; ++k) {
    try {
      threads_.push_back(start_worker(k));
    } catch (const std::exception& e) {  // system_error, or bad_alloc
      std::fprintf(stderr, "warning: %s; running on %d of the %d threads asked for\n", e.what(), k, size_);
      size_ = k;
      errors_.resize(static_cast<size_t>(size_));
      break;
    }
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (Thread& t : threads_) {
    GC_pthread_join(t.id, nullptr);
    if (t.stack) munmap(t.stack, kWorkerStack);
  }
}

namespace {

// How long a thread spins before it blocks (see Parallel.h).
constexpr auto kSpin = std::chrono::microseconds(50);

// Spins until `ready()` or kSpin has passed; returns ready().
template <class Ready>
bool spin_until(Ready ready) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0;; ++i) {
    if (ready()) return true;
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return ready();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

}  // namespace

static void run_chunk(const std::function<void(int, int64_t, int64_t)>& fn, int k, int size,
                      int64_t n, std::exception_ptr& error) {
  const int64_t begin = n * k / size, end = n * (k + 1) / size;
  try {
    if (begin < end) fn(k, begin, end);
  } catch (...) {
    error = std::current_exception();
  }
}

WorkerPool::Thread WorkerPool::start_worker(int k) {
  struct Start {
    WorkerPool* pool;
    int k;
  };
  auto entry = [](void* p) -> void* {
    const Start start = *static_cast<Start*>(p);
    delete static_cast<Start*>(p);
    start.pool->worker(start.k);
    return nullptr;
  };
  Thread t;
  auto* start = new Start{this, k};
  // No smaller stack instead: a model must be able to recurse as deep on
  // any thread (Parallel.h), or results would depend on the thread count.
  void* mem = mmap(nullptr, kWorkerStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    const int err = errno;
    delete start;
    throw std::system_error(err, std::generic_category(), "cannot reserve the stack of inference thread " + std::to_string(k));
  }
  mprotect(mem, kWorkerGuard, PROT_NONE);
  t.stack = mem;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, mem, kWorkerStack);
  // The collector's pthread_create registers the thread with it.
  const int rc = GC_pthread_create(&t.id, &attr, entry, start);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete start;
    munmap(t.stack, kWorkerStack);
    throw std::system_error(rc, std::generic_category(), "cannot start inference thread " + std::to_string(k));
  }
  return t;
}

void WorkerPool::worker(int k) {
  // An alternate signal stack, so that a model that overflows this thread's
  // stack reaches the process's fault handler (tools/borel.cpp reports it)
  // instead of being killed without a word.
  static thread_local char alt_stack[1 << 16];
  stack_t ss{};
  ss.ss_sp = alt_stack;
  ss.ss_size = sizeof alt_stack;
  sigaltstack(&ss, nullptr);
  uint64_t seen = 0;
  for (;;) {
    auto started = [&] { return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen; };
    if (!spin_until(started)) {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, started);
    }
    if (stop_.load(std::memory_order_acquire)) break;
    seen = generation_.load(std::memory_order_acquire);
    run_chunk(*fn_, k, size_, n_, errors_[k]);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_cv_.notify_one();
    }
  }
}

void WorkerPool::for_chunks(int64_t n, const std::function<void(int, int64_t, int64_t)>& fn) {
  for (auto& e : errors_) e = nullptr;
  if (size_ > 1) {
    fn_ = &fn;
    n_ = n;
    pending_.store(size_ - 1, std::memory_order_relaxed);
    {
      // Under the lock, so a worker that is about to block sees the change.
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    start_cv_.notify_all();
  }
  run_chunk(fn, 0, size_, n, errors_[0]);
  if (size_ > 1) {
    auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
    if (!spin_until(finished)) {
      std::unique_lock<std::mutex> lock(mu_);
      done_cv_.wait(lock, finished);
    }
  }
  for (auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

}  // namespace borel::inference
