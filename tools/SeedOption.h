// SeedOption.h — the check every `--seed` of the command line goes through
// (borel run, borel repl, built executables, borel lm generate).
//
// A seed is a decimal integer from 0 to 2^64 - 1, written with digits only.
// CLI11 alone reads "-1" and anything past 2^64 as 2^64 - 1 and "" as no
// seed at all (0): three spellings that silently give one run. This rejects
// them: the option's parse fails, which every command reports as a usage
// error (exit code 2) naming the option and the value.
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace borel::tools {

inline CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        bool digits = !text.empty();
        for (char c : text) digits = digits && c >= '0' && c <= '9';
        if (!digits) return "a seed is an integer from 0 to 2^64 - 1, got \"" + text + "\"";
        errno = 0;
        (void)std::strtoull(text.c_str(), nullptr, 10);
        if (errno == ERANGE) return "a seed is at most 2^64 - 1 = 18446744073709551615, got " + text;
        return "";
      },
      "UINT64");
}

}  // namespace borel::tools
