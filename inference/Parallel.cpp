// Parallel.cpp — the particle worker pool (see Parallel.h).
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include "inference/Parallel.h"

#include <gc/gc.h>

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "runtime/Value.h"

namespace borel::inference {

WorkerPool::WorkerPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  size_ = threads;
  errors_.resize(static_cast<size_t>(size_));
  if (size_ <= 1) return;
  rt::gc_init();
  threads_.reserve(static_cast<size_t>(size_ - 1));
  for (int k = 1; k < size_; ++k) threads_.emplace_back([this, k] { worker(k); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
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

void WorkerPool::worker(int k) {
  GC_stack_base sb;
  GC_get_stack_base(&sb);
  GC_register_my_thread(&sb);
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
  GC_unregister_my_thread();
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
