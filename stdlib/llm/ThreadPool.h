// ThreadPool.h — a small fixed pool of worker threads for data-parallel loops.
//
// parallel_for splits [0, n) into contiguous chunks, one per thread, and the
// calling thread takes the first chunk; it returns when every chunk is done.
// With one thread it is a plain function call, so single-threaded decoding
// pays nothing for the pool. The split depends only on n and the thread
// count, and each index is handled by the same code either way, so kernels
// that write disjoint outputs give identical results on any thread count.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace borel::llm {

class ThreadPool {
public:
  // n_threads counts the calling thread; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(unsigned n_threads = 1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return n_threads_; }

  // fn(begin, end, worker) for disjoint chunks covering [0, n); worker < size().
  // Chunks are at least `min_chunk` long, so small loops run on fewer threads.
  void parallel_for(size_t n, size_t min_chunk, const std::function<void(size_t, size_t, unsigned)>& fn);

private:
  void worker_loop(unsigned id);

  unsigned n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(size_t, size_t, unsigned)>* job_ = nullptr;
  size_t job_n_ = 0, job_chunk_ = 0;
  unsigned job_parts_ = 0;
  unsigned pending_ = 0;
  unsigned long generation_ = 0;
  bool stop_ = false;
};

}  // namespace borel::llm
