// SharedData.h — finding ../shared/bench data from the tests.
//
// The directory comes from the environment variable BOREL_SHARED_DIR, else
// from the CMake cache variable of the same name (compile definition). When
// the data is missing a test is skipped with a message — except under CI
// (env CI=true), where missing data is a failure.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <doctest/doctest.h>

namespace borel::test {

inline std::optional<boost::json::value> shared_json(const std::string& relative) {
  std::string dir;
  if (const char* e = std::getenv("BOREL_SHARED_DIR")) dir = e;
#ifdef BOREL_SHARED_DIR
  if (dir.empty()) dir = BOREL_SHARED_DIR;
#endif
  const std::filesystem::path path = std::filesystem::path(dir) / relative;
  std::ifstream f(path);
  if (!f) {
    const char* ci = std::getenv("CI");
    if (ci && std::string(ci) == "true") FAIL("shared data missing: " << path.string());
    MESSAGE("skipped: shared data not found at " << path.string()
                                                 << " (set BOREL_SHARED_DIR to the ../shared folder)");
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return boost::json::parse(ss.str());
}

}  // namespace borel::test
