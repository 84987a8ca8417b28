// Source.cpp — line tables and location formatting.
#include "compiler/frontend/Source.h"

namespace borel {

SourceFile::SourceFile(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {
  line_starts.push_back(0);
  for (uint32_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') line_starts.push_back(i + 1);
}

std::string_view SourceFile::line(uint32_t n) const {
  if (n == 0 || n > line_starts.size()) return {};
  uint32_t b = line_starts[n - 1];
  uint32_t e = n < line_starts.size() ? line_starts[n] - 1 : static_cast<uint32_t>(text.size());
  if (e > b && text[e - 1] == '\r') --e;
  return std::string_view(text).substr(b, e - b);
}

std::string Loc::str() const {
  std::string s = file ? file->path : std::string("<unknown>");
  if (line) {
    s += ':';
    s += std::to_string(line);
    s += ':';
    s += std::to_string(col);
  }
  return s;
}

}  // namespace borel
