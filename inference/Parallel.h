// Parallel.h — a small pool of threads for advancing particles in parallel.
//
// `for_chunks(n, fn)` splits [0, n) into size() contiguous chunks, chunk k =
// [k·n/size(), (k+1)·n/size()), and runs fn(k, begin, end) for each, chunk 0
// on the calling thread, the others on the pool's threads; it returns when
// all are finished. Which thread runs which chunk never changes a result as
// long as fn(k, ...) only touches chunk k's data and per-k state (streams
// belong to particle slots: Streams.h).
//
// Guarantees: every pool thread has a stack as large as the program's own
// (1 GiB reserved: a model's recursion may be as deep on any thread), and is
// registered with the garbage collector
// (it holds continuations on its stack); an exception thrown by fn is
// rethrown by for_chunks, the one from the lowest-numbered chunk when several
// throw, so the error reported does not depend on timing. With threads <= 1
// no thread is started and fn runs inline. When the system refuses a thread
// (its stack cannot be reserved, or pthread_create fails: out of memory,
// `ulimit -v`, too many threads) the pool runs with those it got, size()
// says how many, and a warning on stderr says so; callers size their
// per-thread state by size(), so results are the same.
//
// SMC calls for_chunks once per step, a few microseconds apart at small N;
// a sleep and a wake-up through the kernel cost more than that. So both
// sides first spin for a short while (kSpin) on atomics and only then block
// on the condition variables.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace borel::inference {

class WorkerPool {
 public:
  // threads <= 0 means one per hardware thread.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int size() const { return size_; }
  void for_chunks(int64_t n, const std::function<void(int, int64_t, int64_t)>& fn);

 private:
  struct Thread {
    pthread_t id{};
    void* stack = nullptr;  // mmap'd, or null for a default stack
  };
  Thread start_worker(int k);
  void worker(int k);

  int size_ = 1;
  std::vector<Thread> threads_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  int64_t n_ = 0;
  const std::function<void(int, int64_t, int64_t)>* fn_ = nullptr;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace borel::inference
