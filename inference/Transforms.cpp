// Transforms.cpp — see Transforms.h.
#include "inference/Transforms.h"

#include <cmath>

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
    case Support::Discrete:
    case Support::Dependent:
      return;
  }
}

}  // namespace borel::inference
