// Diagnostics.cpp — rendering with the source line and a caret.
#include "compiler/frontend/Diagnostics.h"

#include <algorithm>

namespace borel {

namespace {

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string source_excerpt(std::string_view src, uint32_t col) {
  // The caret's byte offset; col may be one past the end (an error at the end of the line).
  size_t at = col > 0 ? std::min<size_t>(col - 1, src.size()) : 0;
  size_t from = 0, to = src.size();
  if (src.size() > 2 * kExcerptContext + 20) {
    from = at > kExcerptContext ? at - kExcerptContext : 0;
    to = std::min(src.size(), at + kExcerptContext);
    while (from > 0 && from < src.size() && continuation_byte(src[from])) --from;  // whole UTF-8 characters
    while (to < src.size() && continuation_byte(src[to])) ++to;
  }
  std::string out = "  ";
  if (from > 0) out += "...";
  out += src.substr(from, to - from);
  if (to < src.size()) out += "...";
  out += "\n  ";
  if (from > 0) out += "   ";
  // One column per character; tabs kept so that the caret lines up.
  for (size_t i = from; i < at; ++i)
    if (!continuation_byte(src[i])) out += src[i] == '\t' ? '\t' : ' ';
  out += "^\n";
  return out;
}

std::string Diagnostic::render() const {
  static const char* kNames[] = {"error", "warning", "note"};
  std::string out = loc.str() + ": " + kNames[static_cast<int>(severity)] + ": " + message + "\n";
  if (loc.file && loc.line) out += source_excerpt(loc.file->line(loc.line), loc.col);
  return out;
}

void Diagnostics::error(Loc loc, std::string message) {
  if (errors_ >= kMaxErrors) return;
  ++errors_;
  list_.push_back({Diagnostic::Severity::Error, loc, std::move(message)});
}
void Diagnostics::warning(Loc loc, std::string message) {
  list_.push_back({Diagnostic::Severity::Warning, loc, std::move(message)});
}
void Diagnostics::note(Loc loc, std::string message) {
  list_.push_back({Diagnostic::Severity::Note, loc, std::move(message)});
}

std::string Diagnostics::render() const {
  std::string out;
  for (const auto& d : list_) out += d.render();
  return out;
}

}  // namespace borel
