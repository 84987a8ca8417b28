// Source.h — source files and positions.
//
// Every AST node, IR node and runtime site carries a `Loc` so that every
// diagnostic, compile-time or run-time, can say file:line:column.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace borel {

struct SourceFile {
  std::string path;      // as given by the user (shown in messages)
  std::string text;
  std::vector<uint32_t> line_starts;  // byte offset of each line

  SourceFile(std::string path, std::string text);
  std::string_view line(uint32_t line_no) const;  // 1-based, without newline
};

struct Loc {
  const SourceFile* file = nullptr;
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based, in bytes
  std::string str() const;  // "file:line:col"
};

}  // namespace borel
