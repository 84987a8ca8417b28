// TapeTest.cpp — the reverse-mode AD tape (runtime/Tape.h): every operation
// on plain operands gives the plain program's double bit for bit and records
// nothing; on tape variables its adjoints match central finite differences
// (tests/unit/FiniteDiff.h derives the tolerance); composites, fan-out,
// clear(), value() of plain words, and the NaN-boxing itself (no double that
// arithmetic produces is ever taken for a tape variable).
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <boost/math/special_functions/digamma.hpp>

#include "runtime/Rng.h"
#include "runtime/Tape.h"
#include "runtime/Value.h"
#include "tests/unit/FiniteDiff.h"

namespace ad = borel::rt::ad;
using borel::rt::from_real;
using borel::rt::Rng;
using borel::rt::to_real;
using borel::rt::Word;
using borel::test::central_difference;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEps = std::numeric_limits<double>::epsilon();

// Makes `tape` the thread's current tape for one test, and null again after.
class CurrentTape {
 public:
  CurrentTape() { ad::set_current_tape(&tape); }
  ~CurrentTape() { ad::set_current_tape(nullptr); }
  CurrentTape(const CurrentTape&) = delete;
  CurrentTape& operator=(const CurrentTape&) = delete;
  ad::Tape tape;
};

double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

// The plain formulas, exactly as Tape.cpp (and the plain program) computes
// them, so that plain results can be compared bit for bit.
double sigmoid_ref(double x) {
  return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
}
double digamma_ref(double x) {
  if (x <= 0 && std::floor(x) == x) return kNaN;
  return boost::math::digamma(x);
}
double log_sigmoid_ref(double x) {
  return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
}

// A one-operand operation: the op, its plain formula, and the interval its
// gradient is checked on (kept clear of singularities by more than the
// finite-difference stencil's width, see FiniteDiff.h).
struct Unary {
  const char* name;
  Word (*op)(Word);
  double (*ref)(double);
  double lo, hi;
  double exclude = kNaN;  // a kink to keep 0.2 away from (abs)
};

const std::vector<Unary>& unaries() {
  static const std::vector<Unary> ops = {
      {"neg", ad::neg, [](double x) { return -x; }, -3, 3},
      {"exp", ad::exp, [](double x) { return std::exp(x); }, -3, 3},
      {"log", ad::log, [](double x) { return std::log(x); }, 0.2, 5},
      {"log1p", ad::log1p, [](double x) { return std::log1p(x); }, -0.8, 5},
      {"expm1", ad::expm1, [](double x) { return std::expm1(x); }, -3, 3},
      {"sqrt", ad::sqrt, [](double x) { return std::sqrt(x); }, 0.2, 5},
      {"sin", ad::sin, [](double x) { return std::sin(x); }, -5, 5},
      {"cos", ad::cos, [](double x) { return std::cos(x); }, -5, 5},
      {"tan", ad::tan, [](double x) { return std::tan(x); }, -1.2, 1.2},
      {"atan", ad::atan, [](double x) { return std::atan(x); }, -5, 5},
      {"tanh", ad::tanh, [](double x) { return std::tanh(x); }, -3, 3},
      {"lgamma", ad::lgamma, [](double x) { return std::lgamma(x); }, 0.3, 10},
      {"digamma", ad::digamma, digamma_ref, 0.3, 10},
      {"sigmoid", ad::sigmoid, sigmoid_ref, -8, 8},
      {"logit", ad::logit, [](double x) { return std::log(x / (1 - x)); }, 0.1, 0.9},
      {"abs", ad::abs, [](double x) { return std::fabs(x); }, -3, 3, 0.0},
      {"log_sigmoid", ad::log_sigmoid, log_sigmoid_ref, -20, 20},
  };
  return ops;
}

// A two-operand operation; `smooth` says whether (x, y) is far enough from a
// kink or branch cut for finite differences.
struct Binary {
  const char* name;
  Word (*op)(Word, Word);
  double (*ref)(double, double);
  double xlo, xhi, ylo, yhi;
  bool (*smooth)(double, double);
};

bool always(double, double) { return true; }
double distance_to_integer(double t) { return std::fabs(t - std::round(t)); }

const std::vector<Binary>& binaries() {
  static const std::vector<Binary> ops = {
      {"add", ad::add, [](double x, double y) { return x + y; }, -3, 3, -3, 3, always},
      {"sub", ad::sub, [](double x, double y) { return x - y; }, -3, 3, -3, 3, always},
      {"mul", ad::mul, [](double x, double y) { return x * y; }, -3, 3, -3, 3, always},
      {"div", ad::div, [](double x, double y) { return x / y; }, -3, 3, 0.5, 3, always},
      {"pow", ad::pow, [](double x, double y) { return std::pow(x, y); }, 0.3, 3, -2, 2, always},
      // fmod jumps where x / y is an integer: the stencils move x / y by at
      // most 0.12 on these ranges.
      {"fmod", ad::fmod, [](double x, double y) { return std::fmod(x, y); }, -3, 3, 1, 2,
       [](double x, double y) { return distance_to_integer(x / y) > 0.2; }},
      // atan2 jumps across the negative x axis and is singular at 0.
      {"atan2", ad::atan2, [](double y, double x) { return std::atan2(y, x); }, -3, 3, -3, 3,
       [](double y, double x) { return std::hypot(x, y) > 0.5 && !(x < 0 && std::fabs(y) < 0.3); }},
      {"min", ad::min, [](double x, double y) { return std::fmin(x, y); }, -3, 3, -3, 3,
       [](double x, double y) { return std::fabs(x - y) > 0.2; }},
      {"max", ad::max, [](double x, double y) { return std::fmax(x, y); }, -3, 3, -3, 3,
       [](double x, double y) { return std::fabs(x - y) > 0.2; }},
  };
  return ops;
}

// Plain arguments for bit-exactness: random ones over a wide range, and the
// edges of the doubles.
std::vector<double> plain_arguments() {
  std::vector<double> xs = {0.0,    -0.0,    1.0,   -1.0,   0.5,    2.0,  -2.5,
                            1e-300, -1e-300, 1e300, -1e300, 5e-324, 40.0, -40.0,
                            800.0,  -800.0,  kInf,  -kInf,  kNaN};
  Rng rng(20240611, 1);
  for (int i = 0; i < 200; ++i) xs.push_back(uniform(rng, -10, 10));
  for (int i = 0; i < 50; ++i) xs.push_back(std::ldexp(uniform(rng, -1, 1), (i % 41) - 20));
  return xs;
}

// Words are compared as bits: "equal" means the same double, NaN payload
// and sign of zero included.
bool same_bits(Word a, double b) { return a == from_real(b); }

// A point of the gradient checks, drawn from [lo, hi] away from `exclude`.
double draw(Rng& rng, double lo, double hi, double exclude) {
  for (;;) {
    const double x = uniform(rng, lo, hi);
    if (!(std::fabs(x - exclude) < 0.2)) return x;
  }
}

}  // namespace

TEST_CASE("tape: unary operations on plain operands are the plain formulas, unrecorded") {
  CurrentTape ct;
  ct.tape.leaf(1.0);  // the tape holds something: plain operations must not add to it
  for (const Unary& u : unaries()) {
    INFO("op: ", std::string(u.name));
    for (double x : plain_arguments()) {
      // digamma's and lgamma's plain results skip the derivative; the
      // digamma's formula is defined wherever boost's is.
      if (std::string_view(u.name) == "digamma" && !(std::isfinite(x) && std::fabs(x) > 1e-300))
        continue;
      INFO("x = ", x);
      const Word r = u.op(from_real(x));
      CHECK(!ad::is_var(r));
      CHECK(same_bits(r, u.ref(x)));
    }
  }
  CHECK(ct.tape.size() == 1);
}

TEST_CASE("tape: binary operations on plain operands are the plain formulas, unrecorded") {
  CurrentTape ct;
  ct.tape.leaf(1.0);
  const std::vector<double> xs = plain_arguments();
  for (const Binary& b : binaries()) {
    INFO("op: ", std::string(b.name));
    for (size_t i = 0; i < xs.size(); ++i) {
      for (size_t j = 0; j < xs.size(); j += 7) {
        const double x = xs[i], y = xs[(i + j) % xs.size()];
        // fmin/fmax may pick either zero of ±0; Tape's min/max pick the first.
        if ((std::string_view(b.name) == "min" || std::string_view(b.name) == "max") && x == y)
          continue;
        INFO("x = ", x, ", y = ", y);
        const Word r = b.op(from_real(x), from_real(y));
        CHECK(!ad::is_var(r));
        CHECK(same_bits(r, b.ref(x, y)));
      }
    }
  }
  CHECK(ad::constant(2.5) == from_real(2.5));
  CHECK(ct.tape.size() == 1);
}

TEST_CASE("tape: plain operations need no tape at all") {
  ad::set_current_tape(nullptr);
  CHECK(to_real(ad::mul(from_real(3.0), ad::exp(from_real(0.0)))) == 3.0);
  CHECK(to_real(ad::lgamma(from_real(4.0))) == std::lgamma(4.0));
  CHECK(ad::value(from_real(-7.25)) == -7.25);
}

TEST_CASE("tape: unary adjoints match central finite differences") {
  CurrentTape ct;
  Rng rng(7, 0);
  for (const Unary& u : unaries()) {
    INFO("op: ", std::string(u.name));
    for (int i = 0; i < 8; ++i) {
      const double x = draw(rng, u.lo, u.hi, u.exclude);
      INFO("x = ", x);
      ct.tape.clear();
      const Word a = ct.tape.leaf(x);
      const Word r = u.op(a);
      REQUIRE(ad::is_var(r));
      CHECK(ct.tape.size() == 2);
      // The variable's value is the plain program's, bit for bit.
      CHECK(ad::value(r) == u.ref(x));
      ct.tape.backward(r);
      CHECK(ct.tape.adjoint(r) == 1.0);
      const auto fd = central_difference(u.ref, x);
      CHECK(std::fabs(ct.tape.adjoint(a) - fd.derivative) <= fd.error_bound);
    }
  }
}

TEST_CASE("tape: binary adjoints match finite differences, either or both operands variable") {
  CurrentTape ct;
  Rng rng(11, 0);
  for (const Binary& b : binaries()) {
    INFO("op: ", std::string(b.name));
    const bool selects = std::string_view(b.name) == "min" || std::string_view(b.name) == "max";
    for (int i = 0; i < 8; ++i) {
      double x, y;
      do {
        x = uniform(rng, b.xlo, b.xhi);
        y = uniform(rng, b.ylo, b.yhi);
      } while (!b.smooth(x, y));
      const auto dx = central_difference([&](double t) { return b.ref(t, y); }, x);
      const auto dy = central_difference([&](double t) { return b.ref(x, t); }, y);
      for (int mode = 0; mode < 3; ++mode) {  // both, only x, only y variable
        INFO("x = ", x, ", y = ", y, ", mode = ", mode);
        ct.tape.clear();
        const Word a = mode != 2 ? ct.tape.leaf(x) : from_real(x);
        const Word c = mode != 1 ? ct.tape.leaf(y) : from_real(y);
        const size_t leaves = ct.tape.size();
        const Word r = b.op(a, c);
        if (!selects) {
          REQUIRE(ad::is_var(r));
          CHECK(ct.tape.size() == leaves + 1);
        } else {
          // min and max record nothing: they return the chosen operand.
          CHECK(ct.tape.size() == leaves);
          CHECK(r == (b.ref(x, y) == x ? a : c));
        }
        CHECK(ad::value(r) == b.ref(x, y));
        ct.tape.backward(r);
        if (mode != 2) CHECK(std::fabs(ct.tape.adjoint(a) - dx.derivative) <= dx.error_bound);
        if (mode != 1) CHECK(std::fabs(ct.tape.adjoint(c) - dy.derivative) <= dy.error_bound);
        // A plain operand has no adjoint.
        if (mode == 1) CHECK(ct.tape.adjoint(c) == 0.0);
        if (mode == 2) CHECK(ct.tape.adjoint(a) == 0.0);
      }
    }
  }
}

TEST_CASE("tape: pow's partial derivatives where x <= 0 or y == 0") {
  CurrentTape ct;
  // (-2)^3: d/dx = 3·(−2)^2 = 12; d/dy is taken as 0 (log of a negative).
  Word x = ct.tape.leaf(-2.0), y = ct.tape.leaf(3.0);
  Word r = ad::pow(x, y);
  CHECK(ad::value(r) == -8.0);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(x) == 12.0);
  CHECK(ct.tape.adjoint(y) == 0.0);
  // x^0 is constant in x (also at x = 0, where y·x^(y−1) would be 0·inf).
  ct.tape.clear();
  x = ct.tape.leaf(0.0);
  y = ct.tape.leaf(0.0);
  r = ad::pow(x, y);
  CHECK(ad::value(r) == 1.0);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(x) == 0.0);
  CHECK(ct.tape.adjoint(y) == 0.0);
  // 0^2: d/dx = 2·0 = 0, d/dy = 0·log 0 → 0.
  ct.tape.clear();
  x = ct.tape.leaf(0.0);
  y = ct.tape.leaf(2.0);
  r = ad::pow(x, y);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(x) == 0.0);
  CHECK(ct.tape.adjoint(y) == 0.0);
}

TEST_CASE("tape: min and max with a NaN operand pick the other, as llvm.minnum") {
  CurrentTape ct;
  const Word x = ct.tape.leaf(2.0);
  const Word nan = from_real(kNaN);
  CHECK(ad::min(x, nan) == x);
  CHECK(ad::min(nan, x) == x);
  CHECK(ad::max(x, nan) == x);
  CHECK(ad::max(nan, x) == x);
  CHECK(std::isnan(to_real(ad::min(nan, nan))));
}

TEST_CASE("tape: special functions do not throw at the edges of their domains") {
  // Boost's digamma and trigamma raise on overflow (subnormal or infinite
  // arguments); the tape must give the limits instead, with a variable too
  // (lgamma's partial derivative is the digamma).
  CurrentTape ct;
  const double edges[] = {5e-324, -5e-324, 1e-320, kInf, -kInf, kNaN, 0.0, -0.0, -3.0, 1e300};
  for (double x : edges) {
    INFO("x = ", x);
    for (auto op : {ad::lgamma, ad::digamma}) {
      Word r{};
      CHECK_NOTHROW(r = op(from_real(x)));
      CHECK(!ad::is_var(r));
      ct.tape.clear();
      const Word a = ct.tape.leaf(x);
      CHECK_NOTHROW(r = op(a));
      CHECK_NOTHROW(ct.tape.backward(r));
    }
  }
  // The limits: ψ(0+) = −∞, ψ(+∞) = +∞ and ψ'(+∞) = 0, ψ'(0+) = +∞.
  CHECK(to_real(ad::digamma(from_real(5e-324))) == -kInf);
  CHECK(to_real(ad::digamma(from_real(kInf))) == kInf);
  ct.tape.clear();
  Word a = ct.tape.leaf(kInf);
  Word r = ad::digamma(a);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(a) == 0.0);
  ct.tape.clear();
  a = ct.tape.leaf(5e-324);
  r = ad::digamma(a);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(a) == kInf);
}

TEST_CASE("tape: composite expressions match finite differences") {
  CurrentTape ct;
  // f(a, b) = log(exp(a)·b + sin(a / b)) on a ∈ [0, 1], b ∈ [1, 2] (the log's
  // argument stays above 1).
  auto f = [](Word a, Word b) {
    return ad::log(ad::add(ad::mul(ad::exp(a), b), ad::sin(ad::div(a, b))));
  };
  // g mixes most of the operations: smooth on a ∈ [0.5, 1.5], b ∈ [1, 2].
  auto g = [](Word a, Word b) {
    const Word t1 = ad::mul(ad::tanh(a), ad::pow(b, a));
    const Word t2 = ad::div(ad::lgamma(ad::add(b, from_real(1.0))),
                            ad::sqrt(ad::add(ad::mul(a, a), ad::mul(b, b))));
    const Word t3 = ad::add(ad::atan2(a, b), ad::log_sigmoid(ad::sub(a, b)));
    const Word t4 = ad::mul(ad::expm1(ad::neg(a)), ad::log1p(ad::logit(ad::sigmoid(a))));
    return ad::add(ad::sub(t1, t2), ad::add(t3, ad::add(t4, ad::cos(ad::atan(ad::digamma(b))))));
  };
  struct Case {
    const char* name;
    Word (*fn)(Word, Word);
    double alo, ahi, blo, bhi;
    double rounding_ops;  // the operations on the path: each within an ulp
  };
  const Case cases[] = {{"f", f, 0, 1, 1, 2, 8}, {"g", g, 0.5, 1.5, 1, 2, 40}};
  Rng rng(13, 0);
  for (const Case& c : cases) {
    INFO("expression ", std::string(c.name));
    auto plain = [&](double a, double b) { return to_real(c.fn(from_real(a), from_real(b))); };
    for (int i = 0; i < 10; ++i) {
      const double a = uniform(rng, c.alo, c.ahi), b = uniform(rng, c.blo, c.bhi);
      INFO("a = ", a, ", b = ", b);
      ct.tape.clear();
      const Word va = ct.tape.leaf(a), vb = ct.tape.leaf(b);
      const Word r = c.fn(va, vb);
      CHECK(ad::value(r) == plain(a, b));
      ct.tape.backward(r);
      const auto da = central_difference([&](double t) { return plain(t, b); }, a, c.rounding_ops);
      const auto db = central_difference([&](double t) { return plain(a, t); }, b, c.rounding_ops);
      CHECK(std::fabs(ct.tape.adjoint(va) - da.derivative) <= da.error_bound);
      CHECK(std::fabs(ct.tape.adjoint(vb) - db.derivative) <= db.error_bound);
    }
  }
}

TEST_CASE("tape: fan-out accumulates adjoints") {
  CurrentTape ct;
  // s = Σ_{i=1..100} i·x: every product is an integer, so the adjoint is
  // exactly 5050.
  const Word x = ct.tape.leaf(0.75);
  Word s = from_real(0.0);
  for (int i = 1; i <= 100; ++i) s = ad::add(s, ad::mul(x, from_real(i)));
  ct.tape.backward(s);
  CHECK(ct.tape.adjoint(x) == 5050.0);
  // x·x: two edges to the same node.
  ct.tape.clear();
  const Word y = ct.tape.leaf(1.5);
  Word r = ad::mul(y, y);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(y) == 3.0);
  // x^11 by repeated products: 11·x^10 (x = 1.5 and its powers up to 1.5^11
  // are exact in a double; the adjoint sums ten exact products of them).
  ct.tape.clear();
  const Word z = ct.tape.leaf(1.5);
  r = z;
  for (int i = 0; i < 10; ++i) r = ad::mul(r, z);
  ct.tape.backward(r);
  CHECK(ct.tape.adjoint(z) == 11 * std::pow(1.5, 10));
  // A diamond: u = sin x, v = u + u, w = v·u = 2 sin²x; dw/dx = 4 sin x cos x
  // (a few roundings: 8 ulps).
  ct.tape.clear();
  const double x0 = 0.7;
  const Word t = ct.tape.leaf(x0);
  const Word u = ad::sin(t);
  const Word w = ad::mul(ad::add(u, u), u);
  ct.tape.backward(w);
  const double expected = 4 * std::sin(x0) * std::cos(x0);
  CHECK(std::fabs(ct.tape.adjoint(t) - expected) <= 8 * kEps * std::fabs(expected));
  // Backward again: adjoints are reset first, not accumulated across sweeps.
  const double first = ct.tape.adjoint(t);
  ct.tape.backward(w);
  CHECK(ct.tape.adjoint(t) == first);
  // Backward from an intermediate node: d u / d x = cos x; v and w (after
  // u on the tape) get nothing.
  ct.tape.backward(u);
  CHECK(ct.tape.adjoint(t) == std::cos(x0));
  CHECK(ct.tape.adjoint(w) == 0.0);
  // Backward from a plain word: every adjoint is 0.
  ct.tape.backward(from_real(3.0));
  CHECK(ct.tape.adjoint(t) == 0.0);
  CHECK(ct.tape.adjoint(u) == 0.0);
}

TEST_CASE("tape: clear() forgets every node") {
  CurrentTape ct;
  const Word a = ct.tape.leaf(2.0);
  const Word b = ad::exp(ad::mul(a, a));
  CHECK(ct.tape.size() == 3);
  ct.tape.backward(b);
  ct.tape.clear();
  CHECK(ct.tape.size() == 0);
  // Indices restart at 0, and the new nodes carry no old edges or adjoints.
  const Word c = ct.tape.leaf(5.0);
  CHECK(ad::index_of(c) == 0);
  CHECK(c == ad::var_word(0));
  CHECK(ct.tape.value(c) == 5.0);
  CHECK(ct.tape.adjoint(c) == 0.0);
  const Word d = ad::neg(c);
  CHECK(ad::index_of(d) == 1);
  ct.tape.backward(d);
  CHECK(ct.tape.adjoint(c) == -1.0);
}

TEST_CASE("tape: value() of a plain word is the double itself") {
  CurrentTape ct;
  ct.tape.leaf(9.0);
  const double xs[] = {0.0, -0.0, 1.0, -3.5, 1e-310, 1e308, kInf, -kInf, kNaN, -kNaN};
  for (double x : xs) {
    const Word w = from_real(x);
    CHECK(std::bit_cast<uint64_t>(ct.tape.value(w)) == std::bit_cast<uint64_t>(x));
    CHECK(std::bit_cast<uint64_t>(ad::value(w)) == std::bit_cast<uint64_t>(x));
    CHECK(ct.tape.adjoint(w) == 0.0);
  }
}

TEST_CASE("tape: no double that arithmetic produces is a tape variable") {
  // Quiet NaNs (every NaN an operation produces, whatever its sign or
  // payload) have bit 51 set; the tag has it clear.
  volatile double zero = 0.0, inf = kInf, minus_one = -1.0;
  const double produced[] = {zero / zero,
                             inf - inf,
                             zero * inf,
                             std::sqrt(minus_one),
                             std::log(minus_one),
                             -(zero / zero),
                             std::fmod(inf, 1.0),
                             std::asin(2 * -minus_one),
                             inf,
                             -inf,
                             kNaN,
                             -kNaN,
                             std::nan("1"),
                             std::nan("0x3ffff"),
                             0.0,
                             -0.0,
                             5e-324,
                             std::numeric_limits<double>::max()};
  for (double x : produced) {
    INFO("x = ", x);
    CHECK(!ad::is_var(from_real(x)));
  }
  // Random words, through arithmetic: a NaN with any payload (a signalling
  // NaN, even a tape variable's pattern, included) comes out quiet. (Not
  // through x·1 or x·−1: compilers fold those into x and −x, which keep a
  // signalling NaN as it is.)
  Rng rng(17, 0);
  for (int i = 0; i < 100000; ++i) {
    const Word w = static_cast<Word>(rng.next_u64());
    volatile double x = to_real(w);
    const double y = x + 1.0, z = x * 3.0, q = -x;
    CHECK_FALSE(ad::is_var(from_real(y)));
    CHECK_FALSE(ad::is_var(from_real(z)));
    // Negation only flips the sign bit, so it makes a tag only out of an
    // (already signalling) NaN, which no arithmetic produced.
    if (ad::is_var(from_real(q))) CHECK((static_cast<uint64_t>(w) & (uint64_t{1} << 51)) == 0);
  }
  const volatile double tagged = to_real(ad::var_word(42));
  CHECK(!ad::is_var(from_real(tagged + 0.0)));
  CHECK(!ad::is_var(from_real(tagged * 3.0)));
}

TEST_CASE("tape: tape-variable words are signalling-NaN patterns") {
  for (uint32_t i : {0u, 1u, 42u, 0xFFFFFFFFu}) {
    const Word w = ad::var_word(i);
    const auto bits = static_cast<uint64_t>(w);
    CHECK(ad::is_var(w));
    CHECK(ad::index_of(w) == i);
    CHECK(std::isnan(to_real(w)));
    CHECK((bits >> 52 & 0x7FF) == 0x7FF);            // exponent all ones
    CHECK((bits & (uint64_t{1} << 51)) == 0);        // quiet bit clear
    CHECK((bits & ((uint64_t{1} << 52) - 1)) != 0);  // mantissa nonzero: not inf
  }
}

TEST_CASE("tape: each thread has its own current tape") {
  CurrentTape ct;
  ad::Tape* seen = &ct.tape;
  std::thread([&] { seen = ad::current_tape(); }).join();
  CHECK(seen == nullptr);
  CHECK(ad::current_tape() == &ct.tape);
}
