// Tape.h — reverse-mode automatic differentiation of compiled models.
//
// Gradient-based inference runs a second, differentiating version of the
// program's functions (compiler/backend/Codegen.cpp, the ".ad" twins). In it a real
// is still one word (runtime/Value.h), in one of two forms:
//   * a plain double — a constant as far as the gradient goes (data, literals,
//     anything not computed from a differentiated choice);
//   * a tape variable — a signalling-NaN bit pattern (kTag | node index) that
//     no floating-point operation produces (they only make quiet NaNs), so the
//     two forms never collide and data needs no conversion.
// Every real operation of the twin calls into this file when an operand is a
// variable: it computes the value, records the partial derivatives with
// respect to its variable operands as edges to a new node, and returns the
// node. Nodes are appended in evaluation order, so one reverse sweep
// (backward) propagates adjoints: the arena tape of Stan Math, without
// pointers (a node is an index), reset between evaluations.
//
// Guarantees: an operation on plain operands returns a plain result and
// records nothing; value(w) of a plain word is the double itself; a tape
// belongs to one thread (set_current_tape) and to one evaluation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "runtime/Value.h"

namespace borel::rt::ad {

inline constexpr uint64_t kTagMask = 0xFFFF000000000000ULL;
inline constexpr uint64_t kTag = 0x7FF4000000000000ULL;  // exponent all ones, quiet bit clear

inline bool is_var(Word w) { return (static_cast<uint64_t>(w) & kTagMask) == kTag; }
inline uint32_t index_of(Word w) { return static_cast<uint32_t>(w); }
inline Word var_word(uint32_t i) { return static_cast<Word>(kTag | i); }

// A growable array of plain records for the tape: an operation makes room
// for its records once and counts the ones it wrote (std::vector checks its
// capacity at every push_back, and its size is a division of two pointers).
template <class T>
class TapeArray {
 public:
  uint32_t size() const { return n_; }
  void clear() { n_ = 0; }
  T& operator[](uint32_t i) { return p_[i]; }
  const T& operator[](uint32_t i) const { return p_[i]; }
  // Where the next k records go (written, then counted by commit).
  T* room(uint32_t k) {
    if (k > cap_ - n_) grow(k);
    return p_.get() + n_;
  }
  void commit(uint32_t k) { n_ += k; }

 private:
  void grow(uint32_t k) {
    const uint32_t cap = std::max({n_ + k, 2 * cap_, 256u});
    auto p = std::make_unique_for_overwrite<T[]>(cap);
    std::copy(p_.get(), p_.get() + n_, p.get());
    p_ = std::move(p);
    cap_ = cap;
  }
  std::unique_ptr<T[]> p_;
  uint32_t n_ = 0, cap_ = 0;
};

class Tape {
 public:
  Tape();
  // Forgets every node (keeps the memory).
  void clear();
  // Changes at every clear and differs between tapes: while it stays the
  // same, a variable's word stands for the same value.
  uint64_t epoch() const { return epoch_; }
  // A new independent variable with value v.
  Word leaf(double v);
  // The result of an operation: value v with the given partial derivatives
  // with respect to its operands. Plain operands are skipped; with none left
  // the result is the plain double v.
  // (Inline: every operation of a twin on a variable comes here.)
  Word record(double v, std::initializer_list<std::pair<Word, double>> operands) {
    Edge* e = edges_.room(static_cast<uint32_t>(operands.size()));
    uint32_t k = 0;
    for (const auto& [w, p] : operands) {  // written always, kept for a variable: no branch
      e[k] = Edge{index_of(w), p};
      k += is_var(w);
    }
    return finish(v, k);
  }
  Word record(double v, const Word* operands, const double* partials, size_t n) {
    Edge* e = edges_.room(static_cast<uint32_t>(n));
    uint32_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      e[k] = Edge{index_of(operands[i]), partials[i]};
      k += is_var(operands[i]);
    }
    return finish(v, k);
  }
  double value(Word w) const {
    return is_var(w) ? nodes_[index_of(w)].value : to_real(w);
  }
  // Sets d out / d out = 1 and propagates to every node before it.
  void backward(Word out);
  // d out / d w after backward (0 for a plain word).
  double adjoint(Word w) const { return is_var(w) ? nodes_[index_of(w)].adjoint : 0.0; }
  size_t size() const { return nodes_.size(); }
  // The terms of a log density being summed (a handler's and the twins'
  // inline effects'): added at the end as one node, sum_terms(total).
  void add_term(Word w) {
    if (is_var(w)) terms_.push_back(w);
  }
  Word sum_terms(double total);
  // backward(sum_terms(total)) without the sum's node: each pending term's
  // adjoint set to 1, then one sweep from the last node. The same adjoints
  // bit for bit (the sum's node, the last, would add 1 x 1 to each term
  // before any other node adds to it), without a node of one edge per term.
  void backward_terms();
  // Appends the pending terms to `out` (each with partial 1 in `partials`) and forgets them.
  void take_terms(std::vector<Word>& out, std::vector<double>& partials) {
    out.insert(out.end(), terms_.begin(), terms_.end());
    partials.insert(partials.end(), terms_.size(), 1.0);
    terms_.clear();
  }

 private:
  struct Node {
    double value;
    double adjoint;
    uint32_t edges_begin, edges_end;
  };
  struct Edge {
    uint32_t operand;
    double partial;
  };
  // The node of the k edges just written after the committed ones (none: a plain v).
  Word finish(double v, uint32_t k) {
    if (k == 0) return from_real(v);
    const uint32_t begin = edges_.size();
    edges_.commit(k);
    return push(v, begin);
  }
  Word push(double v, uint32_t edges_begin) {
    const uint32_t i = nodes_.size();
    *nodes_.room(1) = Node{v, 0.0, edges_begin, edges_.size()};
    nodes_.commit(1);
    return var_word(i);
  }
  TapeArray<Node> nodes_;
  TapeArray<Edge> edges_;
  std::vector<Word> terms_;
  std::vector<double> ones_;
  bool swept_ = false;  // backward ran since clear: adjoints need zeroing
  uint64_t epoch_;
};

// The tape the running thread's differentiated code records on (null when
// none is being recorded).
extern thread_local Tape* tls_current_tape;  // (inline access: every operation reads it)
inline Tape* current_tape() { return tls_current_tape; }
inline void set_current_tape(Tape* t) { tls_current_tape = t; }

// Makes `t` the thread's tape for a scope (null: none), and puts the previous one back.
class TapeScope {
 public:
  explicit TapeScope(Tape* t) : saved_(current_tape()) { set_current_tape(t); }
  ~TapeScope() { set_current_tape(saved_); }
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;

 private:
  Tape* saved_;
};

// Value of a word in the twin: the node's value or the plain double.
inline double value(Word w) { return is_var(w) ? current_tape()->value(w) : to_real(w); }

// The operations the twins call (and the C++ side of gradient inference
// uses): each returns a plain result when every operand is plain.
Word add(Word a, Word b);
Word sub(Word a, Word b);
Word mul(Word a, Word b);
Word div(Word a, Word b);
Word neg(Word a);
Word pow(Word a, Word b);
Word fmod(Word a, Word b);
Word exp(Word a);
Word log(Word a);
Word log1p(Word a);
Word expm1(Word a);
Word sqrt(Word a);
Word sin(Word a);
Word cos(Word a);
Word tan(Word a);
Word atan(Word a);
Word tanh(Word a);
Word lgamma(Word a);
Word digamma(Word a);
Word sigmoid(Word a);
Word logit(Word a);
Word atan2(Word y, Word x);
Word abs(Word a);
Word min(Word a, Word b);
Word max(Word a, Word b);
Word log_sigmoid(Word a);  // log(sigmoid(a)), stable
Word constant(double v);   // a plain word

// The plain functions behind lgamma and digamma, shared with the program's
// own (runtime/abi/RuntimeAbi.cpp) so both give the same bits: thread-safe
// (no signgam), and ±inf rather than an exception where ψ overflows.
double lgamma_value(double x);
double digamma_value(double x);

}  // namespace borel::rt::ad
