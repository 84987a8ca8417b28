// Tape.cpp — the AD tape and its operations (see Tape.h). Each operation's
// value is computed exactly as the plain program computes it (the same libm
// call or formula as Codegen.cpp / RuntimeAbi.cpp), so the twin's log-density
// equals the plain program's bit for bit where no rounding order differs.
#include "runtime/Tape.h"

#include <atomic>

#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <cmath>
#include <limits>

#include <math.h>  // lgamma_r

namespace borel::rt::ad {

thread_local Tape* tls_current_tape = nullptr;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Boost's default policy throws std::overflow_error where ψ or ψ' overflows
// (|x| subnormal, x = +inf): a choice drawn near 0, such as exp(q) at very
// negative q, would throw out of the model's code. This policy returns the
// limit (±inf) instead and changes nothing else (the same internal
// precision, so the same values as the plain program's boost::math::digamma
// wherever that one returns).
using SpecialPolicy = boost::math::policies::policy<
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

}  // namespace

double digamma_value(double x) {
  if (x <= 0 && std::floor(x) == x) return kNaN;
  return boost::math::digamma(x, SpecialPolicy());
}
double lgamma_value(double x) {
  // lgamma_r: std::lgamma writes the global signgam, a data race when chains
  // run in parallel threads; the values are the same.
  int sign;
  return ::lgamma_r(x, &sign);
}

namespace {
double trigamma_value(double x) {
  if (x <= 0 && std::floor(x) == x) return kNaN;
  return boost::math::trigamma(x, SpecialPolicy());
}
double sigmoid_value(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

// One-operand operation: plain in, plain out; otherwise one edge.
inline Word unary(Word a, double v, double partial) {
  if (!is_var(a)) return from_real(v);
  return current_tape()->record(v, {{a, partial}});
}
inline Word binary(Word a, Word b, double v, double pa, double pb) {
  if (!is_var(a) && !is_var(b)) return from_real(v);
  return current_tape()->record(v, {{a, pa}, {b, pb}});
}
}  // namespace

namespace {
// Each tape's epochs start at a multiple of 2^32 of its own.
std::atomic<uint64_t> next_tape{1};
}  // namespace

Tape::Tape() : epoch_(next_tape.fetch_add(1, std::memory_order_relaxed) << 32) {}

void Tape::clear() {
  ++epoch_;
  nodes_.clear();
  edges_.clear();
  terms_.clear();
  swept_ = false;
}

Word Tape::sum_terms(double total) {
  ones_.assign(terms_.size(), 1.0);
  return record(total, terms_.data(), ones_.data(), terms_.size());
}

Word Tape::leaf(double v) { return push(v, edges_.size()); }


void Tape::backward_terms() {
  if (swept_)
    for (uint32_t i = 0; i < nodes_.size(); ++i) nodes_[i].adjoint = 0.0;
  swept_ = true;
  for (Word t : terms_) nodes_[index_of(t)].adjoint += 1.0;
  for (uint32_t i = nodes_.size(); i-- > 0;) {
    const Node& n = nodes_[i];
    if (n.adjoint == 0.0) continue;
    for (uint32_t e = n.edges_begin; e < n.edges_end; ++e) nodes_[edges_[e].operand].adjoint += n.adjoint * edges_[e].partial;
  }
}

void Tape::backward(Word out) {
  // Nodes are born with adjoint 0: only a second sweep must clear them.
  if (swept_)
    for (uint32_t i = 0; i < nodes_.size(); ++i) nodes_[i].adjoint = 0.0;
  swept_ = true;
  if (!is_var(out)) return;
  nodes_[index_of(out)].adjoint = 1.0;
  for (uint32_t i = index_of(out) + 1; i-- > 0;) {
    const Node& n = nodes_[i];
    if (n.adjoint == 0.0) continue;
    for (uint32_t e = n.edges_begin; e < n.edges_end; ++e) nodes_[edges_[e].operand].adjoint += n.adjoint * edges_[e].partial;
  }
}

Word constant(double v) { return from_real(v); }

Word add(Word a, Word b) { return binary(a, b, value(a) + value(b), 1.0, 1.0); }
Word sub(Word a, Word b) { return binary(a, b, value(a) - value(b), 1.0, -1.0); }
Word mul(Word a, Word b) {
  const double x = value(a), y = value(b);
  return binary(a, b, x * y, y, x);
}
Word div(Word a, Word b) {
  const double x = value(a), y = value(b);
  const double r = x / y;
  return binary(a, b, r, 1.0 / y, -r / y);
}
Word neg(Word a) { return unary(a, -value(a), -1.0); }
Word pow(Word a, Word b) {
  const double x = value(a), y = value(b);
  const double r = std::pow(x, y);
  // d/dy = x^y log x, taken as 0 where x <= 0 (log undefined; x^y is then
  // only defined for integral y, where it is locally constant in y).
  const double dy = x > 0 ? r * std::log(x) : 0.0;
  const double dx = y == 0 ? 0.0 : y * std::pow(x, y - 1);
  return binary(a, b, r, dx, dy);
}
Word fmod(Word a, Word b) {
  const double x = value(a), y = value(b);
  return binary(a, b, std::fmod(x, y), 1.0, -std::trunc(x / y));
}
Word exp(Word a) {
  const double r = std::exp(value(a));
  return unary(a, r, r);
}
Word log(Word a) {
  const double x = value(a);
  return unary(a, std::log(x), 1.0 / x);
}
Word log1p(Word a) {
  const double x = value(a);
  return unary(a, std::log1p(x), 1.0 / (1.0 + x));
}
Word expm1(Word a) {
  const double x = value(a);
  return unary(a, std::expm1(x), std::exp(x));
}
Word sqrt(Word a) {
  const double r = std::sqrt(value(a));
  return unary(a, r, 0.5 / r);
}
Word sin(Word a) {
  const double x = value(a);
  return unary(a, std::sin(x), std::cos(x));
}
Word cos(Word a) {
  const double x = value(a);
  return unary(a, std::cos(x), -std::sin(x));
}
Word tan(Word a) {
  const double r = std::tan(value(a));
  return unary(a, r, 1.0 + r * r);
}
Word atan(Word a) {
  const double x = value(a);
  return unary(a, std::atan(x), 1.0 / (1.0 + x * x));
}
Word tanh(Word a) {
  const double r = std::tanh(value(a));
  return unary(a, r, 1.0 - r * r);
}
Word lgamma(Word a) {
  const double x = value(a);
  return unary(a, lgamma_value(x), is_var(a) ? digamma_value(x) : 0.0);
}
Word digamma(Word a) {
  const double x = value(a);
  return unary(a, digamma_value(x), is_var(a) ? trigamma_value(x) : 0.0);
}
Word sigmoid(Word a) {
  const double s = sigmoid_value(value(a));
  return unary(a, s, s * (1.0 - s));
}
Word logit(Word a) {
  const double x = value(a);
  return unary(a, std::log(x / (1 - x)), 1.0 / (x * (1.0 - x)));
}
Word atan2(Word y, Word x) {
  const double u = value(y), v = value(x);
  const double r2 = u * u + v * v;
  return binary(y, x, std::atan2(u, v), v / r2, -u / r2);
}
Word abs(Word a) {
  const double x = value(a);
  return unary(a, std::fabs(x), x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0);
}
// As llvm.minnum/maxnum: a NaN operand gives the other one.
Word min(Word a, Word b) {
  const double x = value(a), y = value(b);
  const bool pick_a = std::isnan(y) || (!std::isnan(x) && x <= y);
  return pick_a ? a : b;
}
Word max(Word a, Word b) {
  const double x = value(a), y = value(b);
  const bool pick_a = std::isnan(y) || (!std::isnan(x) && x >= y);
  return pick_a ? a : b;
}
Word log_sigmoid(Word a) {
  const double x = value(a);
  // log σ(x) = −log1p(e^{−x}); derivative 1 − σ(x) = σ(−x).
  const double v = x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
  return unary(a, v, sigmoid_value(-x));
}

}  // namespace borel::rt::ad
