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

// Whether to draw now (after `delay_`, at most ten times a second); the seconds since the start.
bool Progress::due(double& elapsed) {
  if (!enabled_) return false;
  const auto now = std::chrono::steady_clock::now();
  elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < delay_ || std::chrono::duration<double>(now - last_).count() < 0.1) return false;
  last_ = now;
  drawn_ = true;
  return true;
}

void Progress::update(int64_t step, double ess, int64_t particles) {
  double elapsed = 0;
  if (!due(elapsed)) return;
  std::fprintf(stderr, "\r\033[K%s: step %lld, ESS %.0f of %lld, %.1f s", method_.c_str(),
               static_cast<long long>(step), ess, static_cast<long long>(particles), elapsed);
  std::fflush(stderr);
}

void Progress::update_iterations(int64_t done, int64_t total) {
  double elapsed = 0;
  if (!due(elapsed)) return;
  std::fprintf(stderr, "\r\033[K%s: iteration %lld of %lld, %.1f s", method_.c_str(), static_cast<long long>(done),
               static_cast<long long>(total), elapsed);
  std::fflush(stderr);
}

}  // namespace borel::inference
