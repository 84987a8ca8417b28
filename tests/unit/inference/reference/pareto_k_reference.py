#!/usr/bin/env python3
"""pareto_k_reference.py -- an independent implementation of the PSIS k-hat
of inference/ParetoK.h, in Python 3's standard library only, transcribed
from the R package `loo` (psis: n_pareto_tail, psis_smooth_tail, gpdfit with
its profile log-likelihood lx and adjust_k_wip) rather than from the C++:
whole-vector sort (not a partial selection), a log-sum-exp normalisation of
the grid weights with math.fsum, exact 1-based index arithmetic as in R.

    python3 pareto_k_reference.py       # prints k-hat of the fixed sets

The sets are defined by formulas that the C++ test evaluates the same way:
  pareto(n):   lw_i = -0.7 log(u_i), u_i = ((7919 i) mod n + 0.5) / n,
               i = 0..n-1 (a permutation of quantiles: a Pareto tail, k 0.7)
  bounded(n):  lw_i = 3 sin(i)
  gauss(n):    lw_i = 0.5 z_i^2 * 0.75, z_i = 4 (u_i - 0.5) (a too-narrow
               proposal's weights, on a bounded grid: k-hat < 0)
tests/unit/inference/test_advi.cpp pastes the printed values and checks that
the C++ agrees to 1e-10 relative.
"""
import math


def gpdfit_k(x):
    """loo::gpdfit's k (before the prior adjustment); x sorted ascending."""
    n = len(x)
    prior = 3
    m = 30 + math.floor(math.sqrt(n))
    xstar = x[math.floor(n / 4 + 0.5) - 1]  # R's 1-based x[floor(n/4 + 0.5)]
    theta = [1 / x[n - 1] + (1 - math.sqrt(m / (j - 0.5))) / prior / xstar
             for j in range(1, m + 1)]

    def lx(a):
        a = -a
        k = math.fsum(math.log1p(a * xi) for xi in x) / n
        return math.log(a / k) - k - 1

    l_theta = [n * lx(t) for t in theta]
    top = max(l_theta)
    lse = top + math.log(math.fsum(math.exp(v - top) for v in l_theta))
    w = [math.exp(v - lse) for v in l_theta]
    theta_hat = math.fsum(t * wi for t, wi in zip(theta, w))
    return math.fsum(math.log1p(-theta_hat * xi) for xi in x) / n


def psis_khat(log_ratios):
    s = len(log_ratios)
    tail_len = min(math.ceil(0.2 * s), math.ceil(3 * math.sqrt(s)))
    top = max(log_ratios)
    lw = sorted(v - top for v in log_ratios)
    lw_tail = lw[s - tail_len:]
    cutoff = lw[s - tail_len - 1]
    x = [math.exp(v) - math.exp(cutoff) for v in lw_tail]
    k = gpdfit_k(x)
    a = 10  # adjust_k_wip
    return k * tail_len / (tail_len + a) + a * 0.5 / (tail_len + a)


def pareto(n):
    return [-0.7 * math.log(((7919 * i) % n + 0.5) / n) for i in range(n)]


def bounded(n):
    return [3 * math.sin(i) for i in range(n)]


def gauss(n):
    out = []
    for i in range(n):
        z = 4 * (((7919 * i) % n + 0.5) / n - 0.5)
        out.append(0.5 * z * z * 0.75)
    return out


if __name__ == "__main__":
    for name, f in (("pareto", pareto), ("bounded", bounded), ("gauss", gauss)):
        for n in (100, 1000, 5000):
            print(f"{name}({n}) = {psis_khat(f(n)):.17g}")
