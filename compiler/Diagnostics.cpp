// Diagnostics.cpp — rendering with the source line and a caret.
#include "compiler/Diagnostics.h"

namespace borel {

std::string Diagnostic::render() const {
  static const char* kNames[] = {"error", "warning", "note"};
  std::string out = loc.str() + ": " + kNames[static_cast<int>(severity)] + ": " + message + "\n";
  if (loc.file && loc.line) {
    std::string_view src = loc.file->line(loc.line);
    out += "  ";
    out += src;
    out += "\n  ";
    for (uint32_t i = 1; i < loc.col && i - 1 < src.size(); ++i) out += src[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
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
