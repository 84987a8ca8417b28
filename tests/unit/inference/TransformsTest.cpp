// TransformsTest.cpp — the unconstraining bijections of gradient-based
// inference (inference/Transforms.h), for every continuous support: round
// trips, values inside the support (also at extreme coordinates: sorted
// vectors, Cholesky factors with unit rows and a positive diagonal), the
// log-Jacobian against log |det ∂x/∂q| by finite differences (for a Cholesky
// factor, of the map to its free entries below the diagonal), the tape's
// gradients (also through an interval's bounds) against finite differences,
// the uniform simplex at q = 0, and the unconstrained sizes.
//
// Tolerances: finite differences carry the bound of tests/unit/FiniteDiff.h;
// round trips carry the rounding of the two maps, propagated through the
// Jacobian (see round_trip_bounds).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gc/gc_allocator.h>
#include <Eigen/Dense>

#include "inference/Transforms.h"
#include "runtime/AdDist.h"
#include "runtime/Dist.h"
#include "runtime/Rng.h"
#include "runtime/Tape.h"
#include "runtime/Value.h"
#include "stdlib/distributions/Distributions.h"
#include "tests/unit/FiniteDiff.h"

namespace ad = borel::rt::ad;
namespace dist = borel::dist;
using borel::inference::constrain;
using borel::inference::unconstrain;
using borel::inference::unconstrained_size;
using borel::rt::Dist;
using borel::rt::from_real;
using borel::rt::Rng;
using borel::rt::Support;
using borel::rt::to_real;
using borel::rt::Word;
using borel::test::central_difference;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

class CurrentTape {
 public:
  CurrentTape() { ad::set_current_tape(&tape); }
  ~CurrentTape() { ad::set_current_tape(nullptr); }
  CurrentTape(const CurrentTape&) = delete;
  CurrentTape& operator=(const CurrentTape&) = delete;
  ad::Tape tape;
};

Word reals(const std::vector<double>& xs) {
  return borel::rt::from_ptr(
      borel::rt::array_from_reals(xs.data(), static_cast<int64_t>(xs.size())));
}

// A distribution with its support. Cases live in collector-scanned memory:
// a Dist holds its arrays by pointer.
struct Case {
  const char* name;
  Dist d;
  Support s;
};
using Cases = std::vector<Case, traceable_allocator<Case>>;

Word boxed(const Dist& d) { return borel::rt::from_ptr(borel::rt::dist_box(d)); }

Cases cases() {
  auto* identity = borel::rt::array_new(3);  // mv_normal's covariance (rows)
  identity->data[0] = reals({1, 0, 0});
  identity->data[1] = reals({0, 1, 0});
  identity->data[2] = reals({0, 0, 1});
  const Word identity3 = borel::rt::from_ptr(identity);
  const Word normal = boxed(Dist{&dist::normal_ops, {0.5, 2}, {}});
  const Word gamma = boxed(Dist{&dist::gamma_ops, {2, 1}, {}});
  return {
      {"normal (Real)", Dist{&dist::normal_ops, {0.5, 2}, {}}, Support::Real},
      {"gamma (Positive)", Dist{&dist::gamma_ops, {2, 1}, {}}, Support::Positive},
      {"beta (UnitInterval)", Dist{&dist::beta_ops, {2, 3}, {}}, Support::UnitInterval},
      {"uniform (Interval)", Dist{&dist::uniform_ops, {-1.5, 4}, {}}, Support::Interval},
      {"dirichlet K=2 (Simplex)", Dist{&dist::dirichlet_ops, {}, {reals({1, 2})}},
       Support::Simplex},
      {"dirichlet K=3 (Simplex)", Dist{&dist::dirichlet_ops, {}, {reals({0.5, 1, 2})}},
       Support::Simplex},
      {"dirichlet K=5 (Simplex)", Dist{&dist::dirichlet_ops, {}, {reals({1, 1, 1, 1, 1})}},
       Support::Simplex},
      {"mv_normal n=3 (RealVector)", Dist{&dist::mv_normal_ops, {}, {reals({1, 2, 3}), identity3}},
       Support::RealVector},
      {"ordered normal k=1 (Ordered)", Dist{&dist::ordered_ops, {1}, {normal}}, Support::Ordered},
      {"ordered normal k=4 (Ordered)", Dist{&dist::ordered_ops, {4}, {normal}}, Support::Ordered},
      {"ordered gamma k=3 (PositiveOrdered)", Dist{&dist::ordered_ops, {3}, {gamma}}, Support::PositiveOrdered},
      {"lkj_corr_cholesky k=2 (CholeskyCorr)", Dist{&dist::lkj_corr_cholesky_ops, {2, 1.5}, {}},
       Support::CholeskyCorr},
      {"lkj_corr_cholesky k=3 (CholeskyCorr)", Dist{&dist::lkj_corr_cholesky_ops, {3, 1}, {}},
       Support::CholeskyCorr},
      {"lkj_corr_cholesky k=4 (CholeskyCorr)", Dist{&dist::lkj_corr_cholesky_ops, {4, 0.7}, {}},
       Support::CholeskyCorr},
  };
}

bool is_array(Support s) {
  return s == Support::Simplex || s == Support::RealVector || s == Support::Ordered ||
         s == Support::PositiveOrdered;
}

// The (i, j) of a k x k Cholesky factor's entries in component order: the
// free ones below the diagonal row by row (what q determines, so that the
// square part of the Jacobian is its top rows), then the diagonal, then
// the zeros above it.
std::vector<std::pair<int64_t, int64_t>> cholesky_order(int64_t k) {
  std::vector<std::pair<int64_t, int64_t>> order;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < i; ++j) order.emplace_back(i, j);
  for (int64_t i = 0; i < k; ++i) order.emplace_back(i, i);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i + 1; j < k; ++j) order.emplace_back(i, j);
  return order;
}

// The words of a constrained value (plain or tape), in component order.
std::vector<Word> component_words(Support s, Word x) {
  if (s == Support::CholeskyCorr) {
    const auto* l = borel::rt::to_ptr<const borel::rt::Array>(x);
    std::vector<Word> ws;
    for (auto [i, j] : cholesky_order(l->len))
      ws.push_back(borel::rt::to_ptr<const borel::rt::Array>(l->data[i])->data[j]);
    return ws;
  }
  if (!is_array(s)) return {x};
  const auto* a = borel::rt::to_ptr<const borel::rt::Array>(x);
  return std::vector<Word>(a->data, a->data + a->len);
}

std::vector<double> components(Support s, Word x) {
  std::vector<double> xs;
  for (Word w : component_words(s, x)) xs.push_back(ad::value(w));
  return xs;
}

// The value whose components are xs (the inverse of components).
Word value_of(const Case& c, const std::vector<double>& xs) {
  if (c.s == Support::CholeskyCorr) {
    const auto k = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(xs.size()))));
    std::vector<std::vector<double>> rows(static_cast<size_t>(k), std::vector<double>(static_cast<size_t>(k)));
    size_t t = 0;
    for (auto [i, j] : cholesky_order(k)) rows[static_cast<size_t>(i)][static_cast<size_t>(j)] = xs[t++];
    auto* m = borel::rt::array_new(k);
    for (int64_t i = 0; i < k; ++i) m->data[i] = reals(rows[static_cast<size_t>(i)]);
    return borel::rt::from_ptr(m);
  }
  return is_array(c.s) ? reals(xs) : from_real(xs[0]);
}

struct Constrained {
  std::vector<double> x;
  double log_jacobian;
};

// constrain at a plain point (no tape needed, none recorded on).
Constrained constrain_plain(const Case& c, const std::vector<double>& q) {
  std::vector<Word> qw;
  for (double v : q) qw.push_back(from_real(v));
  Word lj = from_real(0.0);
  const Word x = constrain(c.d, c.s, qw.data(), lj);
  CHECK(!ad::is_var(lj));
  return {components(c.s, x), to_real(lj)};
}

// The Jacobian ∂x/∂q (all components of x: K rows for a simplex) and the
// gradient of the log-Jacobian, by the tape with q as leaves.
struct OnTape {
  std::vector<double> x;
  double log_jacobian;
  MatrixXd jacobian;
  VectorXd log_jacobian_gradient;
};

OnTape constrain_on_tape(const Case& c, const std::vector<double>& q) {
  CurrentTape ct;
  std::vector<Word> qw;
  for (double v : q) qw.push_back(ct.tape.leaf(v));
  Word lj = from_real(0.0);
  const Word x = constrain(c.d, c.s, qw.data(), lj);
  const std::vector<Word> xw = component_words(c.s, x);
  const auto n = static_cast<Eigen::Index>(q.size()), m = static_cast<Eigen::Index>(xw.size());
  OnTape r{components(c.s, x), ad::value(lj), MatrixXd::Zero(m, n), VectorXd::Zero(n)};
  for (Eigen::Index i = 0; i < m; ++i) {
    ct.tape.backward(xw[static_cast<size_t>(i)]);
    for (Eigen::Index j = 0; j < n; ++j)
      r.jacobian(i, j) = ct.tape.adjoint(qw[static_cast<size_t>(j)]);
  }
  ct.tape.backward(lj);
  for (Eigen::Index j = 0; j < n; ++j)
    r.log_jacobian_gradient(j) = ct.tape.adjoint(qw[static_cast<size_t>(j)]);
  return r;
}

// The rounded operations on one evaluation's path, per unconstrained
// coordinate: a stick-breaking step takes about six (shift, sigmoid's three,
// product, subtraction) in either direction, and a coordinate's error
// collects those of the steps before it; 8 per coordinate covers both maps.
double rounding_ops(size_t n) { return 8.0 * static_cast<double>(n + 1); }

// A bound on the magnitudes on constrain's path at q (FiniteDiff.h's M),
// where terms that cancel make it exceed the result: an interval's lo and
// width, and the log-Jacobian's terms, each |log σ(±y)| ≤ |y| + log 2 with
// |y| ≤ |q| + log K, summed over the coordinates (a simplex's log-stick
// terms: up to n of them per coordinate).
double magnitude(const Case& c, const std::vector<double>& q) {
  double m = 0;
  if (c.s == Support::Interval)
    m += std::fabs(c.d.p[0]) + std::fabs(c.d.p[1]) + std::fabs(std::log(c.d.p[1] - c.d.p[0]));
  const double n = static_cast<double>(q.size());
  // A Cholesky factor's terms are log sech^2 q_ij = log 4 + log σ(±2q_ij),
  // twice as large, each summed into the log s of the rest of its row
  // (at most k − 1 ≤ n + 1 times).
  const double factor = c.s == Support::CholeskyCorr ? 2 : 1;
  for (double v : q) m += factor * (n + 1) * (std::fabs(v) + std::log(n + 1) + 1);
  return m;
}

// The square part of the Jacobian that determines q: all of it, except a
// simplex's last component and a Cholesky factor's diagonal and zeros
// (fixed by the others).
MatrixXd square(const MatrixXd& j) { return j.topRows(j.cols()); }

std::vector<double> random_q(Rng& rng, size_t n, double r) {
  std::vector<double> q(n);
  for (auto& v : q) v = -r + 2 * r * rng.uniform();
  return q;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

TEST_CASE("transforms: unconstrained sizes") {
  for (const Case& c : cases()) {
    INFO(std::string(c.name));
    CHECK(ad::support_of(c.d) == c.s);  // the cases use their family's own support
  }
  const Cases cs = cases();
  CHECK(unconstrained_size(cs[0].d, Support::Real) == 1);
  CHECK(unconstrained_size(cs[1].d, Support::Positive) == 1);
  CHECK(unconstrained_size(cs[2].d, Support::UnitInterval) == 1);
  CHECK(unconstrained_size(cs[3].d, Support::Interval) == 1);
  CHECK(unconstrained_size(cs[4].d, Support::Simplex) == 1);
  CHECK(unconstrained_size(cs[5].d, Support::Simplex) == 2);
  CHECK(unconstrained_size(cs[6].d, Support::Simplex) == 4);
  CHECK(unconstrained_size(cs[7].d, Support::RealVector) == 3);
  CHECK(unconstrained_size(cs[8].d, Support::Ordered) == 1);
  CHECK(unconstrained_size(cs[9].d, Support::Ordered) == 4);
  CHECK(unconstrained_size(cs[10].d, Support::PositiveOrdered) == 3);
  CHECK(unconstrained_size(cs[11].d, Support::CholeskyCorr) == 1);
  CHECK(unconstrained_size(cs[12].d, Support::CholeskyCorr) == 3);
  CHECK(unconstrained_size(cs[13].d, Support::CholeskyCorr) == 6);
  const Dist poisson{&dist::poisson_ops, {3}, {}};
  CHECK(poisson.ops->support_kind == Support::Discrete);
  CHECK(unconstrained_size(poisson, Support::Discrete) == 0);
  CHECK(unconstrained_size(cs[0].d, Support::Dependent) == 0);
  // A one-component simplex is the point (1): nothing to sample.
  const Dist point{&dist::dirichlet_ops, {}, {reals({2})}};
  CHECK(unconstrained_size(point, Support::Simplex) == 0);
  Word ljw = from_real(0.0);
  const Word x = constrain(point, Support::Simplex, nullptr, ljw);
  CHECK(components(Support::Simplex, x) == std::vector<double>{1.0});
  CHECK(to_real(ljw) == 0.0);
}

TEST_CASE("transforms: round trips q -> x -> q and x -> q -> x") {
  // Bounds: constrain rounds each x_i by at most c·ε·(|x|max + Σ_j |J_ij|
  // (1 + |q_j|)) (its own operations, and those on q-sized intermediates);
  // unconstrain rounds each q_j by at most c·ε·(1 + |q_j|) plus what x's
  // rounding does to it through J⁻¹. Each round trip's error is the first
  // map's error carried through the second map's derivative, plus the second
  // map's own rounding.
  Rng rng(101, 0);
  for (const Case& c : cases()) {
    INFO(std::string(c.name));
    const size_t n = unconstrained_size(c.d, c.s);
    const double ops = rounding_ops(n);
    for (int t = 0; t < 50; ++t) {
      // q -> x -> q.
      const std::vector<double> q = random_q(rng, n, 4.0);
      const OnTape at = constrain_on_tape(c, q);
      const MatrixXd inv = square(at.jacobian).inverse();
      std::vector<double> x_error(at.x.size());
      for (size_t i = 0; i < at.x.size(); ++i) {
        double s = max_abs(at.x);
        for (size_t j = 0; j < n; ++j)
          s += std::fabs(at.jacobian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))) *
               (1 + std::fabs(q[j]));
        x_error[i] = ops * kEps * s;
      }
      std::vector<double> back(n);
      unconstrain(c.d, c.s, value_of(c, at.x), back.data());
      for (size_t j = 0; j < n; ++j) {
        double bound = ops * kEps * (1 + std::fabs(q[j]));
        for (size_t i = 0; i < n; ++i)
          bound += std::fabs(inv(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(i))) *
                   x_error[i];
        INFO("q -> x -> q, coordinate ", j, " of q = ", q[j]);
        CHECK(std::fabs(back[j] - q[j]) <= bound);
      }
      // x -> q -> x, x a draw from the distribution (for a dirichlet with
      // small alpha, components far below 1).
      const Word xw = c.d.ops->sample(c.d, rng);
      const std::vector<double> x = components(c.s, xw);
      std::vector<double> q2(n);
      unconstrain(c.d, c.s, xw, q2.data());
      const OnTape at2 = constrain_on_tape(c, q2);
      const MatrixXd inv2 = square(at2.jacobian).inverse();
      for (size_t i = 0; i < x.size(); ++i) {
        // q2's rounding: its own, and x's representation error through J⁻¹.
        double bound = ops * kEps * max_abs(x);
        for (size_t j = 0; j < n; ++j) {
          double qerr = ops * kEps * (1 + std::fabs(q2[j]));
          for (size_t k = 0; k < n; ++k)
            qerr += std::fabs(inv2(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(k))) *
                    ops * kEps * std::fabs(x[k]);
          bound +=
              std::fabs(at2.jacobian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))) *
              (qerr + ops * kEps * (1 + std::fabs(q2[j])));
        }
        INFO("x -> q -> x, component ", i, " of x = ", x[i]);
        CHECK(std::isfinite(at2.x[i]));
        CHECK(std::fabs(at2.x[i] - x[i]) <= bound);
      }
    }
  }
}

TEST_CASE("transforms: a simplex draw with tiny components unconstrains to finite coordinates") {
  // Dirichlet draws with small alpha have components far below ε, so that
  // 1 − x_0 − … rounds: the coordinates must still be finite.
  Rng rng(7, 3);
  const Dist d{&dist::dirichlet_ops, {}, {reals({0.05, 0.05, 0.05, 0.05})}};
  for (int t = 0; t < 2000; ++t) {
    const Word x = d.ops->sample(d, rng);
    double q[3];
    unconstrain(d, Support::Simplex, x, q);
    INFO("x = ", components(Support::Simplex, x)[0], ", ", components(Support::Simplex, x)[1], ", ",
         components(Support::Simplex, x)[2], ", ", components(Support::Simplex, x)[3]);
    for (double v : q) CHECK(std::isfinite(v));
  }
}

TEST_CASE("transforms: constrained values lie in the support, also at extreme coordinates") {
  Rng rng(102, 0);
  for (const Case& c : cases()) {
    INFO(std::string(c.name));
    const size_t n = unconstrained_size(c.d, c.s);
    std::vector<std::vector<double>> qs;
    for (int t = 0; t < 100; ++t) qs.push_back(random_q(rng, n, 30.0));
    for (double e : {-30.0, 30.0}) qs.push_back(std::vector<double>(n, e));
    for (size_t j = 0; j < n; ++j)
      for (double e : {-30.0, 30.0}) {
        std::vector<double> q(n, 0.0);
        q[j] = e;
        qs.push_back(q);
      }
    for (const auto& q : qs) {
      const Constrained r = constrain_plain(c, q);
      INFO("q[0] = ", q[0]);
      CHECK(std::isfinite(r.log_jacobian));
      for (double x : r.x) CHECK(std::isfinite(x));
      CHECK(c.d.ops->in_support(c.d, value_of(c, r.x)));
      switch (c.s) {
        case Support::Positive:
          CHECK(r.x[0] > 0);
          break;
        case Support::UnitInterval:
          CHECK((r.x[0] > 0 && r.x[0] < 1));
          break;
        case Support::Interval:
          CHECK((r.x[0] > c.d.p[0] && r.x[0] < c.d.p[1]));
          break;
        case Support::Simplex: {
          // Σ x = 1 up to the rounding of K − 1 stick-breaking steps.
          double sum = 0;
          for (double x : r.x) {
            CHECK(x > 0);
            sum += x;
          }
          CHECK(std::fabs(sum - 1) <= rounding_ops(n) * kEps);
          break;
        }
        case Support::Ordered:
        case Support::PositiveOrdered:
          // Sorted (ties only where exp(q_i) is below half an ulp of x_{i−1}).
          if (c.s == Support::PositiveOrdered) CHECK(r.x[0] > 0);
          for (size_t i = 1; i < r.x.size(); ++i) CHECK(r.x[i - 1] <= r.x[i]);
          break;
        case Support::CholeskyCorr: {
          // Unit rows up to the rounding of the row's steps, a positive
          // diagonal, zeros above it.
          const auto* l = borel::rt::to_ptr<const borel::rt::Array>(value_of(c, r.x));
          for (int64_t i = 0; i < l->len; ++i) {
            const auto* row = borel::rt::to_ptr<const borel::rt::Array>(l->data[i]);
            double norm = 0;
            for (int64_t j = 0; j <= i; ++j) norm += borel::rt::array_real(row, j) * borel::rt::array_real(row, j);
            CHECK(std::fabs(norm - 1) <= rounding_ops(n) * kEps);
            CHECK(borel::rt::array_real(row, i) > 0);
            for (int64_t j = i + 1; j < l->len; ++j) CHECK(borel::rt::array_real(row, j) == 0);
          }
          break;
        }
        default:
          break;
      }
    }
  }
}

TEST_CASE("transforms: the simplex keeps its small components accurate") {
  // At q = (30, 0) (K = 3) the stick left after x_0 = σ(30 − log 2) is
  // σ(log 2 − 30) ≈ 1.9e-13; x_1 and x_2 are halves of it. They and the
  // log-Jacobian must be accurate relative to their own size (a few
  // roundings), not to 1.
  const Dist d{&dist::dirichlet_ops, {}, {reals({1, 1, 1})}};
  const Case c{"dirichlet K=3", d, Support::Simplex};
  const double y0 = 30 - std::log(2.0);
  const double stick = 1 / (1 + std::exp(y0));  // σ(−y0), to a few ulps
  const Constrained r = constrain_plain(c, {30.0, 0.0});
  CHECK(std::fabs(r.x[1] - stick / 2) <= 8 * kEps * stick / 2);
  CHECK(std::fabs(r.x[2] - stick / 2) <= 8 * kEps * stick / 2);
  // log J = log σ'(y0) + log stick + log σ'(0) with σ'(y) = σ(y)σ(−y).
  const double expected = std::log(stick * (1 - stick)) + std::log(stick) + std::log(0.25);
  CHECK(std::fabs(r.log_jacobian - expected) <= 8 * kEps * std::fabs(expected));
}

TEST_CASE("transforms: the log-Jacobian is log |det dx/dq| by finite differences") {
  // J by central differences, each entry within T_ij (FiniteDiff.h); to first
  // order log|det J| moves by Σ_ij |(J⁻¹)_ji|·T_ij. The log-Jacobian's own
  // rounding: c·ε per term, at most (|q|max + 2)·(n + 1) in all.
  Rng rng(103, 0);
  for (const Case& c : cases()) {
    INFO(std::string(c.name));
    const size_t n = unconstrained_size(c.d, c.s);
    const double ops = rounding_ops(n);
    for (int t = 0; t < 10; ++t) {
      const std::vector<double> q = random_q(rng, n, 3.0);
      const auto N = static_cast<Eigen::Index>(n);
      MatrixXd jac(N, N), tol(N, N);
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
          const auto fd = central_difference(
              [&](double v) {
                std::vector<double> p = q;
                p[j] = v;
                return constrain_plain(c, p).x[i];
              },
              q[j], ops, magnitude(c, q));
          jac(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = fd.derivative;
          tol(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = fd.error_bound;
        }
      const double lj = constrain_plain(c, q).log_jacobian;
      const double expected = std::log(std::fabs(jac.determinant()));
      const double bound = (jac.inverse().transpose().cwiseAbs().cwiseProduct(tol)).sum() +
                           ops * kEps * (max_abs(q) + 2) * static_cast<double>(n + 1);
      INFO("q[0] = ", q[0]);
      CHECK(std::fabs(lj - expected) <= bound);
      // And the tape's Jacobian is the finite-difference one.
      const OnTape at = constrain_on_tape(c, q);
      CHECK(at.log_jacobian == lj);
      CHECK(((square(at.jacobian) - jac).cwiseAbs().array() <= tol.array()).all());
    }
  }
}

TEST_CASE("transforms: gradients on the tape match finite differences") {
  // The objective Σ_i (i + 1)·x_i + log J (distinct weights, so that a
  // simplex's constant Σ x_i does not hide errors in the components).
  Rng rng(104, 0);
  for (const Case& c : cases()) {
    INFO(std::string(c.name));
    const size_t n = unconstrained_size(c.d, c.s);
    auto objective = [&](const std::vector<double>& q) {
      const Constrained r = constrain_plain(c, q);
      double f = r.log_jacobian;
      for (size_t i = 0; i < r.x.size(); ++i) f += static_cast<double>(i + 1) * r.x[i];
      return f;
    };
    for (int t = 0; t < 10; ++t) {
      const std::vector<double> q = random_q(rng, n, 3.0);
      double m = magnitude(c, q);
      const std::vector<double> x0 = constrain_plain(c, q).x;
      for (size_t i = 0; i < x0.size(); ++i) m += static_cast<double>(i + 1) * std::fabs(x0[i]);
      CurrentTape ct;
      std::vector<Word> qw;
      for (double v : q) qw.push_back(ct.tape.leaf(v));
      Word lj = from_real(0.0);
      const Word x = constrain(c.d, c.s, qw.data(), lj);
      Word f = lj;
      const std::vector<Word> xw = component_words(c.s, x);
      for (size_t i = 0; i < xw.size(); ++i) f = ad::add(f, ad::mul(from_real(static_cast<double>(i + 1)), xw[i]));
      ct.tape.backward(f);
      for (size_t j = 0; j < n; ++j) {
        const auto fd = central_difference(
            [&](double v) {
              std::vector<double> p = q;
              p[j] = v;
              return objective(p);
            },
            q[j], rounding_ops(n), m);
        INFO("coordinate ", j, " at q = ", q[j]);
        CHECK(std::fabs(ct.tape.adjoint(qw[j]) - fd.derivative) <= fd.error_bound);
      }
    }
  }
}

TEST_CASE("transforms: an interval's bounds as tape variables are differentiated") {
  // uniform(lo, hi) with lo, hi computed from earlier choices: d.p holds the
  // bits of their tape words. f = x + log J as a function of (lo, hi, q).
  auto plain = [](double lo, double hi, double q) {
    const Dist d{&dist::uniform_ops, {lo, hi}, {}};
    Word lj = from_real(0.0);
    const Word qw = from_real(q);
    const Word x = constrain(d, Support::Interval, &qw, lj);
    return to_real(x) + to_real(lj);
  };
  Rng rng(105, 0);
  for (int t = 0; t < 20; ++t) {
    const double lo = -3 + 2 * rng.uniform(), hi = lo + 0.5 + 3 * rng.uniform();
    const double q = -3 + 6 * rng.uniform();
    INFO("lo = ", lo, ", hi = ", hi, ", q = ", q);
    CurrentTape ct;
    const Word lw = ct.tape.leaf(lo), hw = ct.tape.leaf(hi), qw = ct.tape.leaf(q);
    const Dist d{&dist::uniform_ops, {to_real(lw), to_real(hw)}, {}};
    Word lj = from_real(0.0);
    const Word x = constrain(d, Support::Interval, &qw, lj);
    REQUIRE(ad::is_var(x));
    REQUIRE(ad::is_var(lj));
    CHECK(ad::value(x) + ad::value(lj) == plain(lo, hi, q));
    ct.tape.backward(ad::add(x, lj));
    // The terms x and log J sum: |lo|, |hi|, |log(hi − lo)|, |log σ(±q)| ≤ |q| + log 2.
    const double ops = rounding_ops(1);
    const double m =
        std::fabs(lo) + std::fabs(hi) + std::fabs(std::log(hi - lo)) + 2 * (std::fabs(q) + 1);
    const auto dlo = central_difference([&](double v) { return plain(v, hi, q); }, lo, ops, m);
    const auto dhi = central_difference([&](double v) { return plain(lo, v, q); }, hi, ops, m);
    const auto dq = central_difference([&](double v) { return plain(lo, hi, v); }, q, ops, m);
    CHECK(std::fabs(ct.tape.adjoint(lw) - dlo.derivative) <= dlo.error_bound);
    CHECK(std::fabs(ct.tape.adjoint(hw) - dhi.derivative) <= dhi.error_bound);
    CHECK(std::fabs(ct.tape.adjoint(qw) - dq.derivative) <= dq.error_bound);
  }
}

TEST_CASE("transforms: q = 0 is the uniform point of the simplex") {
  for (int k = 1; k <= 8; ++k) {
    INFO("K = ", k);
    const Dist d{
        &dist::dirichlet_ops, {}, {reals(std::vector<double>(static_cast<size_t>(k), 1.0))}};
    const std::vector<Word> q(static_cast<size_t>(k), from_real(0.0));
    Word lj = from_real(0.0);
    const std::vector<double> x =
        components(Support::Simplex, constrain(d, Support::Simplex, q.data(), lj));
    REQUIRE(x.size() == static_cast<size_t>(k));
    // Each component within a few roundings per stick-breaking step.
    for (double v : x) CHECK(std::fabs(v - 1.0 / k) <= 4.0 * k * kEps * (1.0 / k));
  }
}

TEST_CASE("transforms: ordered over a base bounded above, or in a mixture, has no transform") {
  // support_of says Dependent: gradient-based inference refuses the choice
  // (ModelGradient) or leaves it to single-site MH (mh with nuts+single).
  const Dist beta{&dist::beta_ops, {2, 3}, {}}, uniform{&dist::uniform_ops, {0, 1}, {}};
  CHECK(ad::support_of(Dist{&dist::ordered_ops, {3}, {boxed(beta)}}) == Support::Dependent);
  CHECK(ad::support_of(Dist{&dist::ordered_ops, {3}, {boxed(uniform)}}) == Support::Dependent);
  const Dist normal{&dist::normal_ops, {0, 1}, {}};
  const Dist ordered{&dist::ordered_ops, {2}, {boxed(normal)}};
  CHECK(ad::support_of(ordered) == Support::Ordered);
  auto* comps = borel::rt::array_new(2);
  comps->data[0] = boxed(ordered);
  comps->data[1] = boxed(ordered);
  const Dist mix{&dist::mixture_ops, {}, {reals({0.5, 0.5}), borel::rt::from_ptr(comps)}};
  CHECK(ad::support_of(mix) == Support::Dependent);
}

// ad::plain reuses its last copy of an array of variables while the tape's
// epoch lasts (a twin's effect checks a family's parameters, then takes
// its density, each on plain(d)): the copy must hold the variables' values
// of the epoch it is read in. After clear() the same array's variable
// words (the same node indices) stand for new values, and another tape's
// for its own.
TEST_CASE("ad::plain of an array of variables reads the values of the tape's current epoch") {
  CurrentTape ct;
  const uint64_t e0 = ct.tape.epoch();
  const Word v = ct.tape.leaf(1.5);
  auto* beta = borel::rt::array_new(1);  // (scanned memory: the test keeps it reachable)
  beta->data[0] = v;
  const Dist d{&dist::dirichlet_ops, {}, {borel::rt::from_ptr(beta)}};
  auto first = [](const Dist& p) { return to_real(borel::rt::to_ptr<const borel::rt::Array>(p.a[0])->data[0]); };
  CHECK(first(ad::plain(d)) == 1.5);
  CHECK(first(ad::plain(d)) == 1.5);  // the reused copy
  ct.tape.clear();
  CHECK(ct.tape.epoch() != e0);
  CHECK(ct.tape.leaf(2.5) == v);  // the same node index, another value
  CHECK(first(ad::plain(d)) == 2.5);
  ad::Tape other;
  CHECK(other.epoch() != ct.tape.epoch());
  ad::set_current_tape(&other);
  CHECK(other.leaf(-4.0) == v);
  CHECK(first(ad::plain(d)) == -4.0);
  ad::set_current_tape(&ct.tape);
}
