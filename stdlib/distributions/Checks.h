// Checks.h — the one error format of every distribution family, and the
// parameter checks built on it.
//
// Every message reads `<family>: <what> is <value>, but must be <condition>`,
// e.g. `normal: sigma is -1, but must be positive`. It is produced only by
// `fail` below: change the format there and it changes everywhere.
//
// Each check returns true when the parameter is valid and otherwise sets
// `why` and returns false, so a family's `check` is a chain of `&&`.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace borel::dist {

// A number the way messages show it: the shortest text that reads back to the
// same double ("-1", "0.5", "1e+300", "inf", "nan").
std::string format_number(double x);

// Sets `why` to the one message format and returns false.
bool fail(std::string& why, std::string_view family, std::string_view what, std::string_view value,
          std::string_view condition);
inline bool fail(std::string& why, std::string_view family, std::string_view what, double value,
                 std::string_view condition) {
  return fail(why, family, what, format_number(value), condition);
}

// `name[i]`, for the elements of array parameters.
std::string element_name(std::string_view name, int64_t i);
std::string element_name(std::string_view name, int64_t i, int64_t j);

// Finite (not nan or +-inf).
inline bool check_finite(std::string& why, std::string_view family, std::string_view name, double x) {
  return std::isfinite(x) || fail(why, family, name, x, "finite");
}

// Finite and > 0.
inline bool check_positive(std::string& why, std::string_view family, std::string_view name, double x) {
  return check_finite(why, family, name, x) && (x > 0 || fail(why, family, name, x, "positive"));
}

// Finite and >= 0.
inline bool check_nonnegative(std::string& why, std::string_view family, std::string_view name, double x) {
  return check_finite(why, family, name, x) && (x >= 0 || fail(why, family, name, x, "non-negative"));
}

// In [0, 1].
inline bool check_probability(std::string& why, std::string_view family, std::string_view name, double x) {
  return (x >= 0 && x <= 1) || fail(why, family, name, x, "in [0, 1]");
}

// In (0, 1].
inline bool check_positive_probability(std::string& why, std::string_view family, std::string_view name,
                                       double x) {
  return (x > 0 && x <= 1) || fail(why, family, name, x, "in (0, 1]");
}

// An Int parameter: a whole number that an int64 holds exactly as a double
// (|x| <= 2^53), as Dist::p stores ints.
inline bool check_integer(std::string& why, std::string_view family, std::string_view name, double x) {
  return (std::isfinite(x) && x == std::floor(x) && std::fabs(x) <= 0x1.0p53) ||
         fail(why, family, name, x, "an integer with |value| <= 2^53");
}

}  // namespace borel::dist
