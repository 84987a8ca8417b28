// Regex.cpp — see Regex.h. A recursive-descent parser to a syntax tree,
// Thompson's construction (repetitions {m,n} copied out), and the subset
// construction run one transition at a time.
#include "Regex.h"

#include <algorithm>
#include <cstring>

namespace borel::lm {

RegexError::RegexError(const std::string& message, size_t column)
    : std::runtime_error(column ? "regex: " + message + " (column " + std::to_string(column) + ")" : "regex: " + message),
      column_(column) {}

namespace detail {

struct RegexNode {
  enum class Kind { Empty, Set, Concat, Alt, Repeat } kind = Kind::Empty;
  std::bitset<256> set;
  std::vector<RegexNode> kids;
  int min = 0, max = -1;  // Repeat; max -1: unbounded
  size_t column = 0;
};

}  // namespace detail

namespace {

using Node = detail::RegexNode;
using ByteSet = std::bitset<256>;

ByteSet range(int lo, int hi) {
  ByteSet s;
  for (int c = lo; c <= hi; ++c) s.set(static_cast<size_t>(c));
  return s;
}
ByteSet digits() { return range('0', '9'); }
ByteSet word() { return range('a', 'z') | range('A', 'Z') | digits() | range('_', '_'); }
ByteSet space() { return range(' ', ' ') | range('\t', '\r'); }  // \t \n \v \f \r

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_punct(unsigned char c) { return c < 0x80 && std::strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) && c != 0; }

class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p), end_(p.size()) {
    if (!p_.empty() && p_[0] == '^') i_ = 1;
    // A trailing $ is an anchor unless an odd run of backslashes escapes it.
    if (end_ > i_ && p_[end_ - 1] == '$') {
      size_t k = end_ - 1, slashes = 0;
      while (k > 0 && p_[k - 1] == '\\') --k, ++slashes;
      if (slashes % 2 == 0) --end_;
    }
  }

  Node parse() {
    Node n = alternation();
    if (i_ < end_) {
      // Only a ')' stops an alternation at the top level.
      fail("unmatched ')'", i_);
    }
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& message, size_t index) const { throw RegexError(message, index + 1); }

  Node alternation() {
    Node n;
    n.kind = Node::Kind::Alt;
    n.column = i_ + 1;
    n.kids.push_back(sequence());
    while (i_ < end_ && p_[i_] == '|') {
      ++i_;
      n.kids.push_back(sequence());
    }
    return n.kids.size() == 1 ? std::move(n.kids[0]) : n;
  }

  Node sequence() {
    Node n;
    n.kind = Node::Kind::Concat;
    n.column = i_ + 1;
    while (i_ < end_ && p_[i_] != '|' && p_[i_] != ')') n.kids.push_back(repetition());
    if (n.kids.empty()) n.kind = Node::Kind::Empty;
    return n.kids.size() == 1 ? std::move(n.kids[0]) : n;
  }

  static bool quantifier_char(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

  Node repetition() {
    Node atom_node = atom();
    if (i_ >= end_ || !quantifier_char(p_[i_])) return atom_node;
    Node n;
    n.kind = Node::Kind::Repeat;
    n.column = i_ + 1;
    const size_t q = i_;
    switch (p_[i_]) {
      case '*': n.min = 0, n.max = -1, ++i_; break;
      case '+': n.min = 1, n.max = -1, ++i_; break;
      case '?': n.min = 0, n.max = 1, ++i_; break;
      default: braces(n); break;
    }
    if (i_ < end_ && quantifier_char(p_[i_]))
      fail(std::string("a quantifier cannot follow the quantifier at column ") + std::to_string(q + 1) +
               " (lazy quantifiers are not supported; use a group to repeat a repetition)",
           i_);
    n.kids.push_back(std::move(atom_node));
    return n;
  }

  // {m}, {m,}, {m,n} at p_[i_] == '{'.
  void braces(Node& n) {
    const size_t open = i_++;
    auto number = [&]() -> int {
      const size_t b = i_;
      long v = 0;
      while (i_ < end_ && p_[i_] >= '0' && p_[i_] <= '9') {
        v = v * 10 + (p_[i_] - '0');
        if (v > Regex::kMaxRepeat)
          fail("repetition count above " + std::to_string(Regex::kMaxRepeat), b);
        ++i_;
      }
      return i_ == b ? -1 : static_cast<int>(v);
    };
    auto malformed = [&] { fail("malformed repetition: expected {m}, {m,} or {m,n} (write \\{ for the character)", open); };
    const int m = number();
    if (m < 0) malformed();
    n.min = n.max = m;
    if (i_ < end_ && p_[i_] == ',') {
      ++i_;
      n.max = number();  // -1: unbounded
    }
    if (i_ >= end_ || p_[i_] != '}') malformed();
    ++i_;
    if (n.max >= 0 && n.max < n.min)
      fail("repetition {" + std::to_string(n.min) + "," + std::to_string(n.max) + "}: the maximum is below the minimum", open);
  }

  Node set_node(ByteSet s, size_t index) {
    Node n;
    n.kind = Node::Kind::Set;
    n.set = s;
    n.column = index + 1;
    return n;
  }

  Node atom() {
    const size_t at = i_;
    const auto c = static_cast<unsigned char>(p_[i_]);
    switch (c) {
      case '(': {
        ++i_;
        if (i_ < end_ && p_[i_] == '?') {
          if (i_ + 1 < end_ && p_[i_ + 1] == ':') i_ += 2;
          else fail("only (?: ...) groups are supported (no lookaround, named groups or flags)", i_);
        }
        Node inner = alternation();
        if (i_ >= end_ || p_[i_] != ')') fail("missing ')' for this '('", at);
        ++i_;
        return inner;
      }
      case '[': return char_class();
      case '.': ++i_; return set_node(~(range('\n', '\n') | range('\r', '\r')), at);
      case '\\': {
        ++i_;
        ByteSet s;
        if (!escape(s)) fail("unknown escape", at);
        return set_node(s, at);
      }
      case '*': case '+': case '?': fail(std::string("nothing to repeat before '") + p_[i_] + "'", at);
      case '{': fail("nothing to repeat before '{' (write \\{ for the character)", at);
      case ']': case '}': fail(std::string("unescaped '") + p_[i_] + "' (write \\" + p_[i_] + " for the character)", at);
      case '^': case '$': fail("anchors are implicit: ^ and $ are allowed only as the first and last character", at);
      default: break;
    }
    ++i_;
    if (c < 0xC0 || c > 0xF7) return set_node(range(c, c), at);
    // A UTF-8 character: its bytes in sequence, one atom.
    const size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    Node n;
    n.kind = Node::Kind::Concat;
    n.column = at + 1;
    n.kids.push_back(set_node(range(c, c), at));
    while (n.kids.size() < want && i_ < end_ && (static_cast<unsigned char>(p_[i_]) & 0xC0) == 0x80) {
      const auto b = static_cast<unsigned char>(p_[i_]);
      n.kids.push_back(set_node(range(b, b), i_++));
    }
    return n.kids.size() == 1 ? std::move(n.kids[0]) : n;
  }

  // After a backslash at p_[i_ - 1]: the set it stands for. Returns false for
  // an unknown escape. In a class, `single` receives whether it is one byte.
  bool escape(ByteSet& s, bool* single = nullptr) {
    if (i_ >= end_) fail("the pattern ends with a backslash", i_ - 1);
    const auto c = static_cast<unsigned char>(p_[i_++]);
    if (single) *single = false;
    switch (c) {
      case 'd': s = digits(); return true;
      case 'D': s = ~digits(); return true;
      case 'w': s = word(); return true;
      case 'W': s = ~word(); return true;
      case 's': s = space(); return true;
      case 'S': s = ~space(); return true;
      default: break;
    }
    if (single) *single = true;
    int b = -1;
    switch (c) {
      case 'n': b = '\n'; break;
      case 't': b = '\t'; break;
      case 'r': b = '\r'; break;
      case 'f': b = '\f'; break;
      case 'v': b = '\v'; break;
      case 'x': {
        const int h1 = i_ < end_ ? hex(p_[i_]) : -1, h2 = i_ + 1 < end_ ? hex(p_[i_ + 1]) : -1;
        if (h1 < 0 || h2 < 0) fail("\\x needs two hex digits", i_ - 2);
        i_ += 2;
        b = h1 * 16 + h2;
        break;
      }
      default:
        if (is_punct(c)) b = c;
        break;
    }
    if (b < 0) return false;
    s = range(b, b);
    return true;
  }

  // One byte of a class at p_[i_]: a character or a one-byte escape; or a
  // whole set (\d ...), then *single is false.
  ByteSet class_item(bool* single) {
    const size_t at = i_;
    const auto c = static_cast<unsigned char>(p_[i_]);
    if (c == '\\') {
      ++i_;
      ByteSet s;
      if (!escape(s, single)) fail("unknown escape in a class", at);
      return s;
    }
    if (c >= 0x80)
      fail("a non-ASCII byte in a class (classes match single bytes: write non-ASCII characters with '|')", at);
    if (c == '[') fail("write \\[ for '[' in a class (named classes like [:alpha:] are not supported)", at);
    ++i_;
    *single = true;
    return range(c, c);
  }

  Node char_class() {
    const size_t open = i_++;
    bool negate = false;
    if (i_ < end_ && p_[i_] == '^') negate = true, ++i_;
    if (i_ < end_ && p_[i_] == ']') fail(negate ? "empty class [^]" : "empty class []", open);
    ByteSet s;
    while (true) {
      if (i_ >= end_) fail("missing ']' for this '['", open);
      if (p_[i_] == ']') break;
      const size_t at = i_;
      bool single = false;
      const ByteSet lo = class_item(&single);
      if (single && i_ + 1 < end_ && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        bool single_hi = false;
        const size_t hi_at = i_;
        const ByteSet hi = class_item(&single_hi);
        if (!single_hi) fail("a range cannot end in a class escape", hi_at);
        int a = 0, b = 0;
        while (!lo.test(static_cast<size_t>(a))) ++a;
        while (!hi.test(static_cast<size_t>(b))) ++b;
        if (a > b) fail("range out of order", at);
        s |= range(a, b);
      } else {
        if (!single && i_ + 1 < end_ && p_[i_] == '-' && p_[i_ + 1] != ']')
          fail("a range cannot start with a class escape", at);
        s |= lo;
      }
    }
    ++i_;  // ']'
    return set_node(negate ? ~s : s, open);
  }

  std::string_view p_;
  size_t i_ = 0, end_;
};

}  // namespace

int32_t Regex::add(NState s, size_t column) {
  if (nfa_.size() >= kMaxNfaStates)
    throw RegexError("the pattern expands to more than " + std::to_string(kMaxNfaStates) +
                         " automaton states (repetitions {m,n} are copied out: lower the counts)",
                     column);
  nfa_.push_back(s);
  return static_cast<int32_t>(nfa_.size() - 1);
}

Regex::Frag Regex::empty() {
  const int32_t e = add({NState::Kind::Eps}, 0);
  return {e, e};
}

Regex::Frag Regex::concat(Frag a, Frag b) {
  nfa_[static_cast<size_t>(a.end)].out = b.start;
  return {a.start, b.end};
}

Regex::Frag Regex::build(const detail::RegexNode& n) {
  using K = detail::RegexNode::Kind;
  switch (n.kind) {
    case K::Empty: return empty();
    case K::Set: {
      const int32_t e = add({NState::Kind::Eps}, n.column);
      byte_sets_.push_back(n.set);
      NState s{NState::Kind::Byte};
      s.out = e;
      s.set = static_cast<int32_t>(byte_sets_.size() - 1);
      return {add(s, n.column), e};
    }
    case K::Concat: {
      Frag f = build(n.kids[0]);
      for (size_t k = 1; k < n.kids.size(); ++k) f = concat(f, build(n.kids[k]));
      return f;
    }
    case K::Alt: {
      // A chain of splits, one per alternative but the last, all ending in e.
      const int32_t e = add({NState::Kind::Eps}, n.column);
      int32_t start = -1, prev_split = -1;
      for (size_t k = 0; k < n.kids.size(); ++k) {
        const Frag f = build(n.kids[k]);
        nfa_[static_cast<size_t>(f.end)].out = e;
        int32_t entry = f.start;
        if (k + 1 < n.kids.size()) {
          NState s{NState::Kind::Split};
          s.out = f.start;
          entry = add(s, n.column);
        }
        if (prev_split < 0) start = entry;
        else nfa_[static_cast<size_t>(prev_split)].out1 = entry;
        prev_split = entry;
      }
      return {start, e};
    }
    case K::Repeat: {
      const detail::RegexNode& x = n.kids[0];
      Frag f = empty();
      for (int k = 0; k < n.min; ++k) f = concat(f, build(x));
      if (n.max < 0) {
        // x*: a split into x or out, x looping back to the split.
        const Frag b = build(x);
        const int32_t e = add({NState::Kind::Eps}, n.column);
        NState s{NState::Kind::Split};
        s.out = b.start;
        s.out1 = e;
        const int32_t split = add(s, n.column);
        nfa_[static_cast<size_t>(b.end)].out = split;
        return concat(f, {split, e});
      }
      // (n.max - n.min) optional copies, nested: (x(x(x)?)?)?, all ending in e.
      const int32_t e = add({NState::Kind::Eps}, n.column);
      for (int k = n.min; k < n.max; ++k) {
        const Frag b = build(x);
        NState s{NState::Kind::Split};
        s.out = b.start;
        s.out1 = e;
        const int32_t split = add(s, n.column);
        f = concat(f, {split, b.end});
      }
      return concat(f, {e, e});
    }
  }
  return empty();
}

Regex::Regex(std::string_view pattern) : pattern_(pattern) {
  const detail::RegexNode tree = Parser(pattern).parse();
  const Frag f = build(tree);
  match_ = add({NState::Kind::Match}, 0);
  nfa_[static_cast<size_t>(f.end)].out = match_;
  nfa_start_ = f.start;
  prune();
  mark_.assign(nfa_.size(), 0);
  // State 0: the dead state, every transition back to itself.
  sets_.emplace_back();
  trans_.emplace_back();
  trans_.back().fill(kDead);
  accepting_.push_back(0);
  index_.emplace(std::string(), kDead);
  start_ = intern(closure({nfa_start_}));
}

// live_: the NFA states from which Match is reachable (a backward search
// over every edge; a byte edge with an empty set is no edge).
void Regex::prune() {
  std::vector<std::vector<int32_t>> into(nfa_.size());
  for (size_t i = 0; i < nfa_.size(); ++i) {
    const NState& s = nfa_[i];
    if (s.kind == NState::Kind::Byte && byte_sets_[static_cast<size_t>(s.set)].none()) continue;
    if (s.out >= 0) into[static_cast<size_t>(s.out)].push_back(static_cast<int32_t>(i));
    if (s.out1 >= 0) into[static_cast<size_t>(s.out1)].push_back(static_cast<int32_t>(i));
  }
  live_.assign(nfa_.size(), 0);
  std::vector<int32_t> todo{match_};
  live_[static_cast<size_t>(match_)] = 1;
  while (!todo.empty()) {
    const int32_t s = todo.back();
    todo.pop_back();
    for (int32_t p : into[static_cast<size_t>(s)])
      if (!live_[static_cast<size_t>(p)]) live_[static_cast<size_t>(p)] = 1, todo.push_back(p);
  }
}

std::vector<int32_t> Regex::closure(const std::vector<int32_t>& seeds) {
  if (++epoch_ == 0) {
    std::fill(mark_.begin(), mark_.end(), 0);
    epoch_ = 1;
  }
  std::vector<int32_t> out;
  stack_.clear();
  for (int32_t s : seeds)
    if (mark_[static_cast<size_t>(s)] != epoch_) mark_[static_cast<size_t>(s)] = epoch_, stack_.push_back(s);
  while (!stack_.empty()) {
    const int32_t s = stack_.back();
    stack_.pop_back();
    if (!live_[static_cast<size_t>(s)]) continue;
    const NState& n = nfa_[static_cast<size_t>(s)];
    if (n.kind == NState::Kind::Byte || n.kind == NState::Kind::Match) {
      out.push_back(s);
      continue;
    }
    for (int32_t t : {n.out, n.out1})
      if (t >= 0 && mark_[static_cast<size_t>(t)] != epoch_) mark_[static_cast<size_t>(t)] = epoch_, stack_.push_back(t);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Regex::State Regex::intern(std::vector<int32_t> set) {
  std::string key(reinterpret_cast<const char*>(set.data()), set.size() * sizeof(int32_t));
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  if (sets_.size() >= kMaxDfaStates)
    throw RegexError("the automaton of \"" + pattern_ + "\" grew past " + std::to_string(kMaxDfaStates) +
                         " states (a pattern like (a|b)*a(a|b){20} needs exponentially many)",
                     0);
  const auto id = static_cast<State>(sets_.size());
  accepting_.push_back(std::binary_search(set.begin(), set.end(), match_));
  sets_.push_back(std::move(set));
  trans_.emplace_back();
  trans_.back().fill(-1);
  index_.emplace(std::move(key), id);
  return id;
}

Regex::State Regex::step(State s, uint8_t byte) {
  const State known = trans_[static_cast<size_t>(s)][byte];
  if (known >= 0) return known;
  std::vector<int32_t> seeds;
  for (int32_t n : sets_[static_cast<size_t>(s)]) {
    const NState& ns = nfa_[static_cast<size_t>(n)];
    if (ns.kind == NState::Kind::Byte && byte_sets_[static_cast<size_t>(ns.set)].test(byte)) seeds.push_back(ns.out);
  }
  const State t = intern(closure(seeds));
  trans_[static_cast<size_t>(s)][byte] = t;
  return t;
}

Regex::State Regex::walk(State s, std::string_view bytes) {
  for (char c : bytes) {
    if (s == kDead) return s;
    s = step(s, static_cast<uint8_t>(c));
  }
  return s;
}

}  // namespace borel::lm
