// Transforms.cpp — see Transforms.h.
#include "inference/Transforms.h"

#include <cmath>
#include <vector>

#include "runtime/AdDist.h"
#include "runtime/Tape.h"

namespace borel::inference {

namespace ad = rt::ad;
using rt::Support;
using rt::Word;

namespace {

int64_t array_len(const rt::Dist& d) {
  const auto* a = rt::to_ptr<const rt::Array>(d.a[0]);
  return a ? a->len : 0;
}

Word param(const rt::Dist& d, int k) { return rt::from_real(d.p[k]); }

// k of ordered(base, k) and lkj_corr_cholesky(k, eta): the first scalar parameter.
int64_t int_param(const rt::Dist& d) { return static_cast<int64_t>(d.p[0]); }

// log sigmoid(q) + log sigmoid(−q): the log-derivative of sigmoid at q.
Word log_sigmoid_derivative(Word q) { return ad::add(ad::log_sigmoid(q), ad::log_sigmoid(ad::neg(q))); }

}  // namespace

size_t unconstrained_size(const rt::Dist& d, Support s) {
  switch (s) {
    case Support::Real:
    case Support::Positive:
    case Support::UnitInterval:
    case Support::Interval:
      return 1;
    case Support::Simplex: {
      const int64_t k = array_len(d);
      return k > 0 ? static_cast<size_t>(k - 1) : 0;
    }
    case Support::RealVector:
      return static_cast<size_t>(array_len(d));
    case Support::Ordered:
    case Support::PositiveOrdered:
      return static_cast<size_t>(int_param(d));
    case Support::CholeskyCorr: {
      const auto k = static_cast<size_t>(int_param(d));
      return k * (k - 1) / 2;
    }
    case Support::Discrete:
    case Support::Dependent:
      break;
  }
  return 0;
}

Word constrain(const rt::Dist& d, Support s, const Word* q, Word& log_jacobian) {
  switch (s) {
    case Support::Real:
      return q[0];
    case Support::Positive:
      log_jacobian = ad::add(log_jacobian, q[0]);
      return ad::exp(q[0]);
    case Support::UnitInterval:
      log_jacobian = ad::add(log_jacobian, log_sigmoid_derivative(q[0]));
      return ad::sigmoid(q[0]);
    case Support::Interval: {
      const Word lo = param(d, 0), width = ad::sub(param(d, 1), param(d, 0));
      log_jacobian = ad::add(log_jacobian, ad::add(ad::log(width), log_sigmoid_derivative(q[0])));
      return ad::add(lo, ad::mul(width, ad::sigmoid(q[0])));
    }
    case Support::Simplex: {
      // Stick-breaking: x_k takes the fraction σ(y_k) of what is left; the
      // shift by log(K − 1 − k) makes q = 0 the uniform point (Stan's
      // simplex). What is left is the product of the fractions σ(−y_j) not
      // taken, and its log their log-sigmoids: never 1 − Σ x_j, which
      // cancels to nothing (or below) once the first components are near 1.
      const int64_t n = array_len(d);
      rt::Array* x = rt::array_new_atomic(n);
      Word stick = rt::from_real(1.0), log_stick = rt::from_real(0.0);
      for (int64_t k = 0; k + 1 < n; ++k) {
        const Word y = ad::sub(q[k], rt::from_real(std::log(static_cast<double>(n - 1 - k))));
        const Word minus_y = ad::neg(y);
        const Word log_rest = ad::log_sigmoid(minus_y);
        x->data[k] = ad::mul(stick, ad::sigmoid(y));
        // ∂x_k/∂q_k = stick·σ(y)·σ(−y); the Jacobian is triangular.
        log_jacobian =
            ad::add(log_jacobian, ad::add(log_stick, ad::add(ad::log_sigmoid(y), log_rest)));
        stick = ad::mul(stick, ad::sigmoid(minus_y));
        log_stick = ad::add(log_stick, log_rest);
      }
      if (n > 0) x->data[n - 1] = stick;
      return rt::from_ptr(x);
    }
    case Support::RealVector: {
      const int64_t n = array_len(d);
      rt::Array* x = rt::array_new_atomic(n);
      for (int64_t k = 0; k < n; ++k) x->data[k] = q[k];
      return rt::from_ptr(x);
    }
    case Support::Ordered:
    case Support::PositiveOrdered: {
      // x_0 = q_0 (exp(q_0) above 0), x_i = x_{i-1} + exp(q_i): the Jacobian
      // is lower triangular with diagonal exp(q_i) (and 1 for an unbounded x_0).
      const int64_t n = int_param(d);
      rt::Array* x = rt::array_new_atomic(n);
      for (int64_t k = 0; k < n; ++k) {
        if (k == 0 && s == Support::Ordered) {
          x->data[0] = q[0];
          continue;
        }
        log_jacobian = ad::add(log_jacobian, q[k]);
        const Word step = ad::exp(q[k]);
        x->data[k] = k == 0 ? step : ad::add(x->data[k - 1], step);
      }
      return rt::from_ptr(x);
    }
    case Support::CholeskyCorr: {
      // Stan's: z = tanh(q), canonical partial correlations in (-1, 1), then
      // row by row L_i0 = z_i0, L_ij = z_ij s_ij, L_ii = s_ii with
      // s_ij^2 = prod_{m<j} (1 − z_im^2), what the earlier entries of the row
      // leave of its unit norm. Every 1 − z^2 is taken in logs as
      // sech^2 q = 4 σ(2q) σ(−2q), never 1 − tanh^2 q, which is 0 (and its
      // log −inf) from |q| ≈ 19 on. The map to the free entries (below the
      // diagonal) is triangular within each row: log |det| = Σ log(1 − z^2)
      // (tanh) + Σ_{j≥1} log s_ij.
      const int64_t n = int_param(d);
      const Word two = rt::from_real(2.0), log4 = rt::from_real(std::log(4.0)), half = rt::from_real(0.5);
      rt::Array* l = rt::array_new(n);
      size_t next = 0;
      for (int64_t i = 0; i < n; ++i) {
        rt::Array* row = rt::array_new_atomic(n);
        Word log_rest = rt::from_real(0.0);  // log s_ij^2
        for (int64_t j = 0; j < i; ++j) {
          const Word y = q[next++];
          const Word twice = ad::mul(two, y);
          const Word log_sech2 = ad::add(log4, ad::add(ad::log_sigmoid(twice), ad::log_sigmoid(ad::neg(twice))));
          const Word z = ad::tanh(y);
          if (j == 0) {
            row->data[j] = z;
          } else {
            const Word log_s = ad::mul(half, log_rest);
            row->data[j] = ad::mul(z, ad::exp(log_s));
            log_jacobian = ad::add(log_jacobian, log_s);
          }
          log_jacobian = ad::add(log_jacobian, log_sech2);
          log_rest = ad::add(log_rest, log_sech2);
        }
        row->data[i] = ad::exp(ad::mul(half, log_rest));
        for (int64_t j = i + 1; j < n; ++j) row->data[j] = rt::from_real(0.0);
        l->data[i] = rt::from_ptr(row);
      }
      return rt::from_ptr(l);
    }
    case Support::Discrete:
    case Support::Dependent:
      break;
  }
  return rt::from_real(std::nan(""));
}

void unconstrain(const rt::Dist& d, Support s, Word x, double* q) {
  auto logit = [](double p) { return std::log(p) - std::log1p(-p); };
  switch (s) {
    case Support::Real:
      q[0] = rt::to_real(x);
      return;
    case Support::Positive:
      q[0] = std::log(rt::to_real(x));
      return;
    case Support::UnitInterval:
      q[0] = logit(rt::to_real(x));
      return;
    case Support::Interval:
      q[0] = logit((rt::to_real(x) - d.p[0]) / (d.p[1] - d.p[0]));
      return;
    case Support::Simplex: {
      // logit(x_k / S_k) = log x_k − log S_{k+1} with S_k = Σ_{j≥k} x_j, the
      // stick left before x_k: the tails are summed from the end, so a tiny
      // last component keeps its digits (1 − x_0 − … − x_k would round, and
      // x_k / stick can then exceed 1: an infinite or NaN coordinate).
      const auto* a = rt::to_ptr<const rt::Array>(x);
      double tail = a->len > 0 ? rt::array_real(a, a->len - 1) : 0.0;
      for (int64_t k = a->len - 2; k >= 0; --k) {
        const double xk = rt::array_real(a, k);
        q[k] = std::log(xk) - std::log(tail) + std::log(static_cast<double>(a->len - 1 - k));
        tail += xk;
      }
      return;
    }
    case Support::RealVector: {
      const auto* a = rt::to_ptr<const rt::Array>(x);
      for (int64_t k = 0; k < a->len; ++k) q[k] = rt::array_real(a, k);
      return;
    }
    case Support::Ordered:
    case Support::PositiveOrdered: {
      const auto* a = rt::to_ptr<const rt::Array>(x);
      for (int64_t k = 0; k < a->len; ++k) {
        const double xk = rt::array_real(a, k);
        q[k] = k > 0 ? std::log(xk - rt::array_real(a, k - 1)) : s == Support::Ordered ? xk : std::log(xk);
      }
      return;
    }
    case Support::CholeskyCorr: {
      // z = L_ij / s_ij and q = atanh z = log(s + |L_ij|) − log(t_{j+1}) / 2
      // (sign of L_ij), with t_j = Σ_{m≥j} L_im^2 = s_ij^2 summed from the
      // diagonal down: s − |L_ij| = t_{j+1} / (s + |L_ij|) without the
      // cancellation of 1 − Σ_{m<j} L_im^2 (or of 1 − z, for z near ±1).
      const auto* l = rt::to_ptr<const rt::Array>(x);
      const int64_t n = l->len;
      std::vector<double> tail(static_cast<size_t>(n) + 1);
      size_t next = 0;
      for (int64_t i = 0; i < n; ++i) {
        const auto* row = rt::to_ptr<const rt::Array>(l->data[i]);
        tail[static_cast<size_t>(i) + 1] = 0;
        for (int64_t j = i; j >= 0; --j) {
          const double v = rt::array_real(row, j);
          tail[static_cast<size_t>(j)] = tail[static_cast<size_t>(j) + 1] + v * v;
        }
        for (int64_t j = 0; j < i; ++j) {
          const double v = rt::array_real(row, j), a = std::fabs(v);
          const double y = std::log(std::sqrt(tail[static_cast<size_t>(j)]) + a) -
                           0.5 * std::log(tail[static_cast<size_t>(j) + 1]);
          q[next++] = v < 0 ? -y : y;
        }
      }
      return;
    }
    case Support::Discrete:
    case Support::Dependent:
      return;
  }
}

}  // namespace borel::inference
