// Checks.cpp — the message format of Checks.h.
#include "stdlib/distributions/Checks.h"

#include <fmt/format.h>

namespace borel::dist {

std::string format_number(double x) { return fmt::format("{}", x); }

bool fail(std::string& why, std::string_view family, std::string_view what, std::string_view value,
          std::string_view condition) {
  why = fmt::format("{}: {} is {}, but must be {}", family, what, value, condition);
  return false;
}

std::string element_name(std::string_view name, int64_t i) { return fmt::format("{}[{}]", name, i); }

std::string element_name(std::string_view name, int64_t i, int64_t j) {
  return fmt::format("{}[{}][{}]", name, i, j);
}

}  // namespace borel::dist
