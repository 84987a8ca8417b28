// Repl.cpp — `borel repl` (see Repl.h).
#include "tools/Repl.h"

#include <algorithm>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/Pipeline.h"
#include "runtime/abi/RuntimeAbi.h"
#include "runtime/Model.h"

namespace borel::tools {
namespace {

// Whether the brackets and braces of `text` are balanced (outside strings
// and comments), so that a multi-line definition can continue.
bool complete(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '(' || c == '[' || c == '{') ++depth;
    else if (c == ')' || c == ']' || c == '}') --depth;
  }
  return depth <= 0 && !in_string;
}

bool starts_with_word(const std::string& s, const char* w) {
  size_t i = s.find_first_not_of(" \t\n");
  if (i == std::string::npos) return false;
  std::string rest = s.substr(i);
  size_t n = std::string(w).size();
  return rest.compare(0, n, w) == 0 && (rest.size() == n || !std::isalnum(static_cast<unsigned char>(rest[n])));
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n;");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

class Session {
 public:
  Session(std::ostream& out, std::ostream& err, uint64_t seed) : out_(out), err_(err), seed_(seed) {}

  void input(const std::string& text) {
    std::string t = trim(text);
    if (t.empty()) return;
    ++inputs_;
    if (t[0] == ':') return command(t);
    if (starts_with_word(t, "fn") || starts_with_word(t, "let") || starts_with_word(t, "import")) {
      std::string def = t;
      if (!starts_with_word(t, "fn")) def += ";";
      // Keep the definition only if the program still type-checks.
      CompileResult r = compile("<repl>", program(def, "()"), Emit::Check);
      if (!r.ok) {
        err_ << relabel(r.diagnostics);
        return;
      }
      defs_.push_back({def, inputs_});
      return;
    }
    evaluate(t);
  }
  bool done() const { return done_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
  uint64_t seed_;
  // Each input is numbered; messages name `<input N>:line:col` in what the
  // user typed, not in the program the session synthesises from them.
  struct Def {
    std::string text;
    int input;
  };
  std::vector<Def> defs_;
  int inputs_ = 0;
  struct Span {
    int first_line, lines, input;
  };
  std::vector<Span> spans_;  // of the program last synthesised
  bool done_ = false;

  static int line_count(const std::string& t) { return 1 + static_cast<int>(std::count(t.begin(), t.end(), '\n')); }

  // The definitions so far, then `extra_def` and `expr` (both from the
  // current input), wrapped in a main that prints the expression.
  std::string program(const std::string& extra_def, const std::string& expr) {
    std::string src;
    spans_.clear();
    int line = 1;
    for (const auto& d : defs_) {
      spans_.push_back({line, line_count(d.text), d.input});
      src += d.text + "\n";
      line += line_count(d.text);
    }
    spans_.push_back({line, line_count(extra_def), inputs_});
    src += extra_def + "\n";
    line += line_count(extra_def);
    src += "fn main() {\n  print(\n";
    spans_.push_back({line + 2, line_count(expr), inputs_});
    src += expr + "\n  );\n}\n";
    return src;
  }

  // `<repl>:L:C` in `text` as `<input N>:l:C`.
  std::string relabel(const std::string& text) const {
    static const std::regex loc("<repl>:([0-9]+):([0-9]+)");
    std::string out;
    auto it = std::sregex_iterator(text.begin(), text.end(), loc);
    size_t last = 0;
    for (; it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      out += text.substr(last, static_cast<size_t>(m.position()) - last);
      const int l = std::stoi(m[1].str());
      std::string rep = m.str();
      for (const Span& sp : spans_)
        if (l >= sp.first_line && l < sp.first_line + sp.lines) {
          rep = "<input " + std::to_string(sp.input) + ">:" + std::to_string(l - sp.first_line + 1) + ":" + m[2].str();
          break;
        }
      out += rep;
      last = static_cast<size_t>(m.position() + m.length());
    }
    return out + text.substr(last);
  }

  void evaluate(const std::string& expr) {
    CompileResult r = compile("<repl>", program("", expr), Emit::None);
    if (!r.ok) {
      err_ << relabel(r.diagnostics);
      return;
    }
    abi::RunOptions o;
    o.seed = seed_++;
    o.progress = false;
    out_.flush();
    try {
      abi::run_entry(r.program->entry, o);
    } catch (const rt::RuntimeError& e) {
      std::fflush(stdout);
      err_ << relabel((e.where.empty() ? "" : e.where + ": ") + "error: " + e.message) << "\n";
    }
    std::fflush(stdout);
  }

  void command(const std::string& t) {
    if (t == ":quit" || t == ":q") {
      done_ = true;
    } else if (t == ":reset") {
      defs_.clear();
    } else if (t == ":defs") {
      for (const auto& d : defs_) out_ << d.text << "\n";
    } else if (t.rfind(":type", 0) == 0) {
      std::string expr = trim(t.substr(5));
      // The expression on a line of its own, so that columns are the user's.
      std::string src = program("", "0");
      src = src.substr(0, src.rfind("fn main() {"));
      spans_.back().first_line = 1 + static_cast<int>(std::count(src.begin(), src.end(), '\n')) + 2;
      src += "fn main() {\n  let it =\n" + expr + ";\n  print(0);\n}\n";
      CompileResult r = compile("<repl>", src, Emit::Typed);
      if (!r.ok) {
        err_ << relabel(r.diagnostics);
        return;
      }
      std::istringstream lines(r.emitted);
      std::string line;
      while (std::getline(lines, line))
        if (line.find("let it: ") != std::string::npos) out_ << trim(line.substr(line.find("let it: ") + 8)) << "\n";
    } else if (t == ":help") {
      out_ << "Enter a definition (fn, let, import) or an expression to evaluate.\n"
              "  :type EXPR   the type of an expression\n"
              "  :defs        the definitions so far\n"
              "  :reset       forget the definitions\n"
              "  :quit        leave (also end of input)\n";
    } else {
      err_ << "unknown command " << t << " (:help lists them)\n";
    }
  }
};

}  // namespace

int run_repl(std::istream& in, std::ostream& out, std::ostream& err, bool interactive, uint64_t seed) {
  Session s(out, err, seed);
  if (interactive) out << "Borel REPL — :help for commands, :quit to leave\n";
  std::string pending, line;
  while (!s.done()) {
    if (interactive) out << (pending.empty() ? "borel> " : "   ... ") << std::flush;
    if (!std::getline(in, line)) break;
    pending += line + "\n";
    if (!complete(pending)) continue;
    s.input(pending);
    pending.clear();
  }
  if (!pending.empty()) s.input(pending);
  return 0;
}

}  // namespace borel::tools
