// Dirichlet.cpp — dirichlet(alpha): the distribution on the probability
// simplex {x : x_i > 0, sum x = 1} with density
// Gamma(sum alpha) / prod Gamma(alpha_i) prod x_i^(alpha_i - 1).
// A value is in the support when it has K = len(alpha) positive finite
// entries summing to 1 within kSumTolerance (Family.h).
#include "stdlib/distributions/Family.h"

namespace borel::dist {

namespace {

constexpr const char* kName = "dirichlet";

bool check(const Dist& d, std::string& why) {
  const Array* alpha = array_param(d, 0);
  if (length(alpha) < 1) return fail(why, kName, "the length of alpha", "0", "at least 1");
  return check_real_elements(why, kName, "alpha", alpha, true, false);
}

// Normalised gamma variates, in log space so that small alphas (whose
// variates underflow) still give a point of the simplex; entries that
// underflow after normalising are moved to the smallest positive double.
Word sample(const Dist& d, Rng& rng) {
  const Array* alpha = array_param(d, 0);
  const int64_t k = alpha->len;
  Array* x = rt::array_new_atomic(k);
  double max_log = -kInf;
  for (int64_t i = 0; i < k; ++i) {  // x holds the log variates at first
    const double l = log_gamma_variate(rng, rt::array_real(alpha, i));
    x->data[i] = real_value(l);
    max_log = std::fmax(max_log, l);
  }
  double sum = 0;
  for (int64_t i = 0; i < k; ++i) sum += std::exp(rt::array_real(x, i) - max_log);
  for (int64_t i = 0; i < k; ++i)
    x->data[i] = real_value(clamp_positive(std::exp(rt::array_real(x, i) - max_log) / sum));
  return rt::from_ptr(x);
}

bool in_support(const Dist& d, Word w) {
  const Array* alpha = array_param(d, 0);
  const auto* x = rt::to_ptr<const Array>(w);
  if (x == nullptr || x->len != alpha->len) return false;
  double sum = 0;
  for (int64_t i = 0; i < x->len; ++i) {
    const double xi = rt::array_real(x, i);
    if (!(xi > 0 && xi <= 1)) return false;
    sum += xi;
  }
  return std::fabs(sum - 1) <= kSumTolerance;
}

double log_density(const Dist& d, Word w) {
  if (!in_support(d, w)) return -kInf;
  const Array* alpha = array_param(d, 0);
  const auto* x = rt::to_ptr<const Array>(w);
  double alpha_sum = 0, result = 0;
  for (int64_t i = 0; i < alpha->len; ++i) {
    const double a = rt::array_real(alpha, i);
    alpha_sum += a;
    result += (a - 1) * std::log(rt::array_real(x, i)) - log_gamma(a);
  }
  return result + log_gamma(alpha_sum);
}

// The density's formula differentiated coordinate by coordinate, as if x were
// unconstrained (the simplex transform, inference/Transforms.h, supplies the
// constraint): d/dx_i = (alpha_i - 1) / x_i,
// d/dalpha_i = log x_i - psi(alpha_i) + psi(sum alpha).
double log_density_grad(const Dist& d, Word w, double*, double* dx, double* const* da) {
  const double lp = log_density(d, w);
  if (!(lp > -kInf)) return lp;
  const Array* alpha = array_param(d, 0);
  const auto* x = rt::to_ptr<const Array>(w);
  double alpha_sum = 0;
  for (int64_t i = 0; i < alpha->len; ++i) alpha_sum += rt::array_real(alpha, i);
  const double psi_sum = digamma(alpha_sum);
  for (int64_t i = 0; i < alpha->len; ++i) {
    const double a = rt::array_real(alpha, i), xi = rt::array_real(x, i);
    if (dx) dx[i] = (a - 1) / xi;
    if (da && da[0]) da[0][i] = std::log(xi) - digamma(a) + psi_sum;
  }
  return lp;
}

double mean(const Dist&) { return kNaN; }

double variance(const Dist&) { return kNaN; }

}  // namespace

extern const DistOps dirichlet_ops = {
    kName, 1, {"alpha"}, {Kind::RealArray}, Kind::RealArray, "the simplex {x : x_i > 0, sum x = 1}",
    check, sample, log_density, in_support, mean, variance,
    Support::Simplex, log_density_grad,
};

}  // namespace borel::dist
