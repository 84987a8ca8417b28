// Progress.cpp — stderr progress line (see Progress.h).
#include "inference/Progress.h"

#include <unistd.h>

#include <cstdio>

namespace borel::inference {

Progress::Progress(std::string method, bool enabled, double delay)
    : method_(std::move(method)),
      enabled_(enabled && isatty(STDERR_FILENO)),
      delay_(delay),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
}

void Progress::update(int64_t step, double ess, int64_t particles) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < delay_ || std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s: step %lld, ESS %.0f of %lld, %.1f s", method_.c_str(),
               static_cast<long long>(step), ess, static_cast<long long>(particles), elapsed);
  std::fflush(stderr);
}

void Progress::update_iterations(int64_t done, int64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < delay_ || std::chrono::duration<double>(now - last_).count() < 0.1) return;
  last_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[K%s: iteration %lld of %lld, %.1f s", method_.c_str(), static_cast<long long>(done),
               static_cast<long long>(total), elapsed);
  std::fflush(stderr);
}

}  // namespace borel::inference
