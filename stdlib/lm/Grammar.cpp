// Grammar.cpp — see Grammar.h.
#include "Grammar.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>

namespace borel::lm {

GrammarError::GrammarError(const std::string& message, size_t line, size_t column)
    : std::runtime_error(line ? "grammar: " + message + " (line " + std::to_string(line) + ", column " +
                                    std::to_string(column) + ")"
                              : "grammar: " + message),
      line_(line),
      column_(column) {}

// The notation's parser: rules as lists of alternatives of elements, groups
// and repetitions turned into rules of their own, names resolved at the end.
class GrammarParser {
 public:
  using Elem = Grammar::Elem;
  using Seq = std::vector<Elem>;
  struct Rule {
    std::string name;   // as written, or a description of a group
    size_t at = 0;      // offset of its definition (or first reference)
    size_t ref_at = 0;  // offset of its first reference
    bool defined = false, generated = false;
    std::vector<Seq> alts;
  };

  GrammarParser(std::string_view text, Grammar& g) : s_(text), g_(g) {}

  std::vector<Rule> parse() {
    for (;;) {
      skip(true);
      if (eof()) break;
      const size_t at = i_;
      const std::string name = ident();
      if (name.empty()) fail("expected a rule name", at);
      skip(false);
      if (s_.compare(i_, 3, "::=") != 0) fail("expected '::=' after the rule name '" + name + "'", i_);
      i_ += 3;
      const int32_t r = rule_named(name, at);
      if (rules_[static_cast<size_t>(r)].defined)
        fail("the rule '" + name + "' is defined twice (first at " + where(rules_[static_cast<size_t>(r)].at) + ")",
             at);
      rules_[static_cast<size_t>(r)].defined = true;
      rules_[static_cast<size_t>(r)].at = at;
      std::vector<Seq> alts = alternatives(false);
      rules_[static_cast<size_t>(r)].alts = std::move(alts);
    }
    for (const Rule& r : rules_)
      if (!r.defined && !r.generated) fail("the rule '" + r.name + "' is used but not defined", r.ref_at);
    return std::move(rules_);
  }

  std::string where(size_t at) const {
    const auto [line, col] = line_col(at);
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
  }
  std::pair<size_t, size_t> line_col(size_t at) const {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return {line, col};
  }
  [[noreturn]] void fail(const std::string& message, size_t at) const {
    const auto [line, col] = line_col(at);
    throw GrammarError(message, line, col);
  }

 private:
  bool eof() const { return i_ >= s_.size(); }
  static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  }
  // Blanks and comments; line breaks only when `lines`.
  void skip(bool lines) {
    while (!eof()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || ((c == '\n' || c == '\r') && lines)) {
        ++i_;
      } else if (c == '#') {
        while (!eof() && s_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
  }
  std::string ident() {
    const size_t b = i_;
    while (!eof() && name_char(s_[i_])) ++i_;
    return std::string(s_.substr(b, i_ - b));
  }
  // Whether a new rule (`name ::=`) starts here.
  bool at_rule_start() const {
    size_t k = i_;
    while (k < s_.size() && name_char(s_[k])) ++k;
    if (k == i_) return false;
    while (k < s_.size() && (s_[k] == ' ' || s_[k] == '\t')) ++k;
    return s_.compare(k, 3, "::=") == 0;
  }

  int32_t rule_named(const std::string& name, size_t at) {
    auto [it, fresh] = by_name_.emplace(name, static_cast<int32_t>(rules_.size()));
    if (fresh) {
      Rule r;
      r.name = name;
      r.at = r.ref_at = at;
      rules_.push_back(std::move(r));
    }
    return it->second;
  }
  // Counts rules and elements against Grammar::kMaxSize.
  void grow(size_t n, size_t at) {
    size_ += n;
    if (size_ > Grammar::kMaxSize)
      fail("the grammar expands to more than " + std::to_string(Grammar::kMaxSize) + " rules and elements", at);
  }
  int32_t new_rule(const std::string& description, size_t at, std::vector<Seq> alts) {
    grow(1, at);
    Rule r;
    r.name = description;
    r.at = r.ref_at = at;
    r.defined = r.generated = true;
    r.alts = std::move(alts);
    rules_.push_back(std::move(r));
    return static_cast<int32_t>(rules_.size() - 1);
  }
  static Elem ref(int32_t r) { return Elem{Elem::Kind::Ref, r}; }
  Elem term(const std::bitset<256>& set) {
    g_.byte_sets_.push_back(set);
    return Elem{Elem::Kind::Term, static_cast<int32_t>(g_.byte_sets_.size() - 1)};
  }

  std::vector<Seq> alternatives(bool nested) {
    std::vector<Seq> alts;
    alts.push_back(sequence(nested));
    while (!eof() && s_[i_] == '|') {
      ++i_;
      alts.push_back(sequence(nested));
    }
    return alts;
  }

  Seq sequence(bool nested) {
    Seq seq;
    for (;;) {
      skip(true);
      if (eof() || s_[i_] == '|' || s_[i_] == ')' || at_rule_start()) break;
      const size_t at = i_;
      Seq item = postfix(primary(), i_);
      grow(item.size(), at);
      seq.insert(seq.end(), item.begin(), item.end());
    }
    if (!nested && !eof() && s_[i_] == ')') fail("unmatched ')'", i_);
    return seq;
  }

  // One byte of a literal or a set: an escape or a plain ASCII character.
  uint8_t char_at(const char* what) {
    const size_t at = i_;
    const auto c = static_cast<uint8_t>(s_[i_++]);
    if (c != '\\') return c;
    if (eof()) fail("a '\\' at the end of the grammar", at);
    const char e = s_[i_++];
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'x': {
        auto hex = [&](size_t k) -> int {
          if (k >= s_.size()) return -1;
          const char h = s_[k];
          if (h >= '0' && h <= '9') return h - '0';
          if (h >= 'a' && h <= 'f') return h - 'a' + 10;
          if (h >= 'A' && h <= 'F') return h - 'A' + 10;
          return -1;
        };
        const int a = hex(i_), b = hex(i_ + 1);
        if (a < 0 || b < 0) fail(std::string("\\x needs two hexadecimal digits in ") + what, at);
        i_ += 2;
        return static_cast<uint8_t>(a * 16 + b);
      }
      default:
        if (std::ispunct(static_cast<unsigned char>(e))) return static_cast<uint8_t>(e);
        fail(std::string("unknown escape '\\") + e + "' in " + what, at);
    }
  }

  Seq primary() {
    const size_t at = i_;
    const char c = s_[i_];
    if (c == '"') {
      ++i_;
      Seq seq;
      for (;;) {
        if (eof()) fail("missing '\"' to close this literal", at);
        if (s_[i_] == '"') break;
        std::bitset<256> one;
        one.set(char_at("a literal"));
        seq.push_back(term(one));
      }
      ++i_;
      return seq;
    }
    if (c == '[') {
      ++i_;
      std::bitset<256> set;
      const bool negate = !eof() && s_[i_] == '^';
      if (negate) ++i_;
      for (;;) {
        if (eof()) fail("missing ']' to close this set", at);
        if (s_[i_] == ']') break;
        if (static_cast<uint8_t>(s_[i_]) >= 0x80)
          fail("a non-ASCII character in a set (sets are of bytes: write a literal, or \\xHH)", i_);
        const size_t lo_at = i_;
        const uint8_t lo = char_at("a set");
        if (i_ + 1 < s_.size() && s_[i_] == '-' && s_[i_ + 1] != ']') {
          ++i_;
          if (static_cast<uint8_t>(s_[i_]) >= 0x80)
            fail("a non-ASCII character in a set (sets are of bytes: write a literal, or \\xHH)", i_);
          const uint8_t hi = char_at("a set");
          if (hi < lo) fail("a range whose end comes before its start", lo_at);
          for (int b = lo; b <= hi; ++b) set.set(static_cast<size_t>(b));
        } else {
          set.set(lo);
        }
      }
      ++i_;
      if (negate) set.flip();
      return Seq{term(set)};
    }
    if (c == '.') {
      ++i_;
      return Seq{term(std::bitset<256>().set())};
    }
    if (c == '(') {
      ++i_;
      if (++depth_ > Grammar::kMaxNesting)
        fail("parentheses nested deeper than " + std::to_string(Grammar::kMaxNesting), at);
      std::vector<Seq> alts = alternatives(true);
      --depth_;
      if (eof() || s_[i_] != ')') fail("missing ')' for this '('", at);
      ++i_;
      if (alts.size() == 1) return alts[0];
      return Seq{ref(new_rule("the group at " + where(at), at, std::move(alts)))};
    }
    if (name_char(c)) {
      const std::string name = ident();
      return Seq{ref(rule_named(name, at))};
    }
    if (c == '*' || c == '+' || c == '?' || c == '{') fail(std::string("'") + c + "' follows nothing", at);
    fail(std::string("unexpected '") + c + "'", at);
  }

  size_t number() {
    const size_t at = i_;
    size_t n = 0;
    while (!eof() && s_[i_] >= '0' && s_[i_] <= '9') {
      n = n * 10 + static_cast<size_t>(s_[i_++] - '0');
      if (n > static_cast<size_t>(Grammar::kMaxRepeat))
        fail("a repetition count above " + std::to_string(Grammar::kMaxRepeat), at);
    }
    if (i_ == at) fail("expected a number in '{...}'", at);
    return n;
  }

  Seq postfix(Seq item, size_t) {
    for (;;) {
      skip(false);
      if (eof()) return item;
      const size_t at = i_;
      const char c = s_[i_];
      if (c != '*' && c != '+' && c != '?' && c != '{') return item;
      ++i_;
      size_t lo = 0, hi = 0;
      bool unbounded = false;
      if (c == '*') unbounded = true;
      if (c == '+') lo = 1, unbounded = true;
      if (c == '?') hi = 1;
      if (c == '{') {
        skip(false);
        lo = hi = number();
        skip(false);
        if (!eof() && s_[i_] == ',') {
          ++i_;
          skip(false);
          if (!eof() && s_[i_] == '}') {
            unbounded = true;
          } else {
            hi = number();
            skip(false);
          }
        }
        if (eof() || s_[i_] != '}') fail("missing '}' for this '{'", at);
        ++i_;
        if (!unbounded && hi < lo) fail("a repetition {m,n} with n < m", at);
      }
      // One element for the repeated item.
      const Elem e = item.size() == 1 ? item[0] : ref(new_rule("the item before " + where(at), at, {item}));
      Seq out(lo, e);
      const std::string what = "the repetition at " + where(at);
      if (unbounded) {
        // star ::= e star | ""
        const int32_t star = new_rule(what, at, {});
        rules_[static_cast<size_t>(star)].alts = {Seq{e, ref(star)}, Seq{}};
        out.push_back(ref(star));
      } else if (hi > lo) {
        // opt_1 ::= e | "",  opt_k ::= e opt_{k-1} | ""
        int32_t opt = new_rule(what, at, {Seq{e}, Seq{}});
        for (size_t k = 1; k < hi - lo; ++k) opt = new_rule(what, at, {Seq{e, ref(opt)}, Seq{}});
        out.push_back(ref(opt));
      }
      item = std::move(out);
    }
  }

  std::string_view s_;
  Grammar& g_;
  size_t i_ = 0;
  size_t size_ = 0;
  int depth_ = 0;
  std::vector<Rule> rules_;
  std::map<std::string, int32_t> by_name_;
};

Grammar::Grammar(std::string_view text) : text_(text) {
  GrammarParser p(text, *this);
  std::vector<GrammarParser::Rule> rules = p.parse();
  const size_t n = rules.size();
  int32_t root = -1;
  for (size_t r = 0; r < n; ++r)
    if (!rules[r].generated && rules[r].name == "root") root = static_cast<int32_t>(r);
  if (root < 0) throw GrammarError("no rule named 'root' (the grammar's sentences are those of root)", 0, 0);
  auto desc = [&](size_t r) { return rules[r].generated ? rules[r].name : "'" + rules[r].name + "'"; };

  // Productive rules (deriving some finite text): least fixpoint. Then drop
  // the alternatives that are not, so every stack can be completed.
  std::vector<char> productive(n, 0);
  auto elem_productive = [&](const Elem& e) {
    return e.kind == Elem::Kind::Term ? byte_sets_[static_cast<size_t>(e.arg)].any()
                                      : static_cast<bool>(productive[static_cast<size_t>(e.arg)]);
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r)
      if (!productive[r])
        for (const auto& alt : rules[r].alts)
          if (std::all_of(alt.begin(), alt.end(), elem_productive)) {
            productive[r] = changed = true;
            break;
          }
  }
  if (!productive[static_cast<size_t>(root)])
    p.fail("the rule 'root' derives no finite text", rules[static_cast<size_t>(root)].at);
  for (auto& r : rules)
    r.alts.erase(std::remove_if(r.alts.begin(), r.alts.end(),
                                [&](const auto& alt) { return !std::all_of(alt.begin(), alt.end(), elem_productive); }),
                 r.alts.end());

  // Nullable rules, then the left-corner graph: r -> s when an alternative
  // of r can reach s without consuming a byte. A cycle would make the
  // expansion of stacks loop.
  std::vector<char> nullable(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r)
      if (!nullable[r])
        for (const auto& alt : rules[r].alts)
          if (std::all_of(alt.begin(), alt.end(), [&](const Elem& e) {
                return e.kind == Elem::Kind::Ref && nullable[static_cast<size_t>(e.arg)];
              })) {
            nullable[r] = changed = true;
            break;
          }
  }
  std::vector<std::vector<int32_t>> corner(n);
  for (size_t r = 0; r < n; ++r)
    for (const auto& alt : rules[r].alts)
      for (const Elem& e : alt) {
        if (e.kind != Elem::Kind::Ref) break;
        corner[r].push_back(e.arg);
        if (!nullable[static_cast<size_t>(e.arg)]) break;
      }
  std::vector<char> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::vector<int32_t> path;
  std::function<void(int32_t)> visit = [&](int32_t r) {
    color[static_cast<size_t>(r)] = 1;
    path.push_back(r);
    for (int32_t s : corner[static_cast<size_t>(r)]) {
      if (color[static_cast<size_t>(s)] == 1) {
        const auto from = std::find(path.begin(), path.end(), s);
        std::string cycle;
        for (auto it = from; it != path.end(); ++it) cycle += desc(static_cast<size_t>(*it)) + " -> ";
        cycle += desc(static_cast<size_t>(s));
        p.fail("left recursion: " + cycle +
                   " can recur without consuming a byte (not supported: write it as a repetition, "
                   "e.g. `expr ::= term (\"+\" term)*`, and repeat only what consumes a byte)",
               rules[static_cast<size_t>(s)].at);
      }
      if (color[static_cast<size_t>(s)] == 0) visit(s);
    }
    path.pop_back();
    color[static_cast<size_t>(r)] = 2;
  };
  for (size_t r = 0; r < n; ++r)
    if (color[r] == 0) visit(static_cast<int32_t>(r));

  rules_.resize(n);
  for (size_t r = 0; r < n; ++r)
    for (const auto& alt : rules[r].alts) {
      rules_[r].push_back(static_cast<int32_t>(elems_.size()));
      elems_.insert(elems_.end(), alt.begin(), alt.end());
      elems_.push_back(Elem{Elem::Kind::End, -1});
    }
  root_ = root;

  sets_.emplace_back();  // kDead
  accepting_.push_back(0);
  std::vector<Stack> start;
  for (int32_t alt : rules_[static_cast<size_t>(root_)]) {
    Stack s;
    if (elems_[static_cast<size_t>(alt)].kind != Elem::Kind::End) s.push_back(alt);
    expand(s, start);
  }
  start_ = intern(std::move(start));
}

void Grammar::expand(Stack& s, std::vector<Stack>& out) const {
  if (out.size() > kMaxStacks)
    throw GrammarError("a text has more than " + std::to_string(kMaxStacks) +
                           " parses in progress (the grammar is too ambiguous)",
                       0, 0);
  if (s.empty() || elems_[static_cast<size_t>(s.back())].kind == Elem::Kind::Term) {
    out.push_back(s);
    return;
  }
  const int32_t pos = s.back();
  const Elem e = elems_[static_cast<size_t>(pos)];
  s.pop_back();
  if (elems_[static_cast<size_t>(pos) + 1].kind != Elem::Kind::End) s.push_back(pos + 1);
  for (int32_t alt : rules_[static_cast<size_t>(e.arg)]) {
    Stack t = s;
    if (elems_[static_cast<size_t>(alt)].kind != Elem::Kind::End) t.push_back(alt);
    expand(t, out);
  }
}

namespace {
// The bytes that identify a sorted set of stacks.
template <class Stacks>
std::string key_of(const Stacks& set) {
  std::string key;
  for (const auto& s : set) {
    key.append(reinterpret_cast<const char*>(s.data()), s.size() * sizeof(int32_t));
    const int32_t sep = -1;
    key.append(reinterpret_cast<const char*>(&sep), sizeof sep);
  }
  return key;
}
}  // namespace

Grammar::State Grammar::intern(std::vector<Stack> set) {
  if (set.empty()) return kDead;
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  std::string key = key_of(set);
  auto [it, fresh] = index_.emplace(std::move(key), static_cast<State>(sets_.size()));
  if (fresh) {
    accepting_.push_back(set.front().empty());
    sets_.push_back(std::move(set));
  }
  return it->second;
}

Grammar::State Grammar::step(State s, uint8_t byte) {
  if (s == kDead) return kDead;
  const uint64_t k = (static_cast<uint64_t>(s) << 8) | byte;
  if (auto it = trans_.find(k); it != trans_.end()) return it->second;
  std::vector<Stack> out;
  for (const Stack& st : sets_[static_cast<size_t>(s)]) {
    if (st.empty()) continue;
    const int32_t top = st.back();
    if (!byte_sets_[static_cast<size_t>(elems_[static_cast<size_t>(top)].arg)][byte]) continue;
    Stack t(st.begin(), st.end() - 1);
    if (elems_[static_cast<size_t>(top) + 1].kind != Elem::Kind::End) t.push_back(top + 1);
    expand(t, out);
  }
  const State next = intern(std::move(out));
  trans_.emplace(k, next);
  return next;
}

Grammar::State Grammar::walk(State s, std::string_view bytes) {
  for (char c : bytes) {
    if (s == kDead) break;
    s = step(s, static_cast<uint8_t>(c));
  }
  return s;
}

void Grammar::clear() {
  const size_t keep = static_cast<size_t>(std::max(start_, kDead)) + 1;
  sets_.resize(keep);
  accepting_.resize(keep);
  index_.clear();
  for (size_t i = 1; i < keep; ++i) index_.emplace(key_of(sets_[i]), static_cast<State>(i));
  trans_.clear();
}

}  // namespace borel::lm
