// Format.h — a real formatted with a printf format, for the messages,
// summaries and notes inference writes ("%.4g", "%.17g" for a value a
// person may paste back).
#pragma once

#include <cstdio>
#include <string>

namespace borel::inference {

inline std::string fmt(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

}  // namespace borel::inference
