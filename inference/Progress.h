// Progress.h — a one-line progress report on stderr for long runs.
//
// Prints nothing unless enabled, stderr is a terminal, and the run has gone
// on for more than `delay` seconds; then redraws one line at most every 0.1 s
// and erases it when done. Never touches the results: runs are identical with
// or without it.
#pragma once

#include <chrono>
#include <string>

namespace borel::inference {

class Progress {
 public:
  Progress(std::string method, bool enabled, double delay = 1.0);
  ~Progress();  // erases the line if one was drawn
  void update(int64_t step, double ess, int64_t particles);
  // For iterative methods (NUTS, ADVI): "nuts: iteration 1200 of 8000, 3.1 s".
  void update_iterations(int64_t done, int64_t total);

 private:
  bool due(double& elapsed);
  std::string method_;
  bool enabled_;
  bool drawn_ = false;
  double delay_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace borel::inference
