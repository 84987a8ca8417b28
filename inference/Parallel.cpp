// Parallel.cpp — the particle worker pool (see Parallel.h).
#ifndef GC_THREADS
#define GC_THREADS
#endif
#include "inference/Parallel.h"

#include <gc/gc.h>

#include <signal.h>

#include <algorithm>

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
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

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
    const std::function<void(int, int64_t, int64_t)>* fn;
    int64_t n;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) break;
      seen = generation_;
      fn = fn_;
      n = n_;
    }
    run_chunk(*fn, k, size_, n, errors_[k]);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
  GC_unregister_my_thread();
}

void WorkerPool::for_chunks(int64_t n, const std::function<void(int, int64_t, int64_t)>& fn) {
  for (auto& e : errors_) e = nullptr;
  if (size_ > 1) {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    pending_ = size_ - 1;
    ++generation_;
  }
  if (size_ > 1) start_cv_.notify_all();
  run_chunk(fn, 0, size_, n, errors_[0]);
  if (size_ > 1) {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return pending_ == 0; });
  }
  for (auto& e : errors_)
    if (e) std::rethrow_exception(e);
}

}  // namespace borel::inference
