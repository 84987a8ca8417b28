#!/usr/bin/env python3
"""mcmc_stats_reference.py -- an independent implementation of the MCMC
diagnostics of inference/McmcStats.h (R-hat, bulk/tail ESS, ESS and MCSE of
the mean, as Vehtari, Gelman, Simpson, Carpenter & Buerkner 2021 define them
and Stan's `posterior` R package computes them), in Python 3's standard
library only, written from the paper's equations rather than from the C++:
autocovariances by the direct O(n^2) sum with math.fsum (not by FFT), means
and variances in exact rational arithmetic (statistics), Phi^-1 from
statistics.NormalDist (Wichura's AS241, not Acklam's approximation).

    python3 mcmc_stats_reference.py chains.txt      # prints the statistics
    python3 mcmc_stats_reference.py --generate > chains.txt

tests/unit/inference/test_mcmc_stats.cpp pastes the printed values and checks
that the C++ agrees with them to 1e-10 relative.
"""
import math
import random
import statistics
import sys

NAN = float("nan")
EPS = sys.float_info.epsilon
PHI_INV = statistics.NormalDist().inv_cdf


def split(chains):
    """First and last floor(n/2) draws of each chain."""
    out = []
    for c in chains:
        h = len(c) // 2
        out += [c[:h], c[len(c) - h:]]
    return out


def undefined(chains):
    """posterior's should_return_NA: a non-finite value or a range < eps."""
    xs = [v for c in chains for v in c]
    if any(not math.isfinite(v) for v in xs):
        return True
    return not (max(xs) - min(xs) >= EPS)


def type7_quantile(xs, p):
    s = sorted(xs)
    h = (len(s) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def z_scale(chains):
    """Average ranks over all draws, then Phi^-1((r - 3/8) / (S + 1/4))."""
    flat = [(v, i, j) for i, c in enumerate(chains) for j, v in enumerate(c)]
    flat.sort(key=lambda t: t[0])
    S = len(flat)
    out = [[0.0] * len(c) for c in chains]
    a = 0
    while a < S:
        b = a
        while b < S and flat[b][0] == flat[a][0]:
            b += 1
        rank = (a + 1 + b) / 2  # mean of ranks a+1 .. b
        z = PHI_INV((rank - 3 / 8) / (S + 1 / 4))
        for _, i, j in flat[a:b]:
            out[i][j] = z
        a = b
    return out


def rhat(chains):
    if len(chains[0]) < 2 or undefined(chains):
        return NAN
    n = len(chains[0])
    W = statistics.fmean(statistics.variance(c) for c in chains)
    B = n * statistics.variance([statistics.mean(c) for c in chains]) if len(chains) > 1 else 0.0
    if W == 0:
        return math.inf
    return math.sqrt(((n - 1) / n * W + B / n) / W)


def autocovariance(c):
    """Biased estimate: sum_{i} (x_i - m)(x_{i+t} - m) / n, lags 0..n-1."""
    n = len(c)
    m = statistics.mean(c)
    y = [v - m for v in c]
    if all(v == c[0] for v in c):
        return [0.0] * n
    return [math.fsum(y[i] * y[i + t] for i in range(n - t)) / n for t in range(n)]


def ess(chains):
    M, n = len(chains), len(chains[0])
    if n < 3 or undefined(chains):
        return NAN
    acovs = [autocovariance(c) for c in chains]
    acov = [math.fsum(a[t] for a in acovs) / M for t in range(n)]
    W = acov[0] * n / (n - 1)
    var_plus = W * (n - 1) / n
    if M > 1:
        var_plus += statistics.variance([statistics.mean(c) for c in chains])

    def rho(t):
        return 1 - (W - acov[t]) / var_plus

    # Geyer's initial positive sequence over pairs k = (lags 2k, 2k+1); the
    # first pair is (1, rho_1); pairs are added while the previous pair sum
    # is positive and 2k + 5 < n (posterior's loop bound).
    r = [0.0] * n
    r[0], r[1] = 1.0, rho(1)
    k, even, odd = 0, 1.0, r[1]
    while 2 * k + 5 < n and not math.isnan(even + odd) and even + odd > 0:
        k += 1
        even, odd = rho(2 * k), rho(2 * k + 1)
        if even + odd >= 0:
            r[2 * k], r[2 * k + 1] = even, odd
    T = 2 * k
    if even > 0:
        r[T] = even
    # Initial monotone sequence over the pairs before T.
    for j in range(1, k):
        if r[2 * j] + r[2 * j + 1] > r[2 * j - 2] + r[2 * j - 1]:
            r[2 * j] = r[2 * j + 1] = (r[2 * j - 2] + r[2 * j - 1]) / 2
    head = math.fsum(r[:T]) if T > 0 else r[0]
    tau = max(-1 + 2 * head + r[T], 1 / math.log10(M * n))
    return M * n / tau


def stats(chains):
    xs = [v for c in chains for v in c]
    sd = statistics.stdev(xs) if len(set(xs)) > 1 else 0.0
    nan = dict(rhat=NAN, ess_bulk=NAN, ess_tail=NAN, ess_mean=NAN, mcse_mean=NAN, sd=sd)
    if undefined(chains):
        return nan
    med = statistics.median(xs)
    folded = [[abs(v - med) for v in c] for c in chains]
    rb, rt = rhat(z_scale(split(chains))), rhat(z_scale(split(folded)))
    out = dict(sd=sd)
    out["rhat"] = NAN if math.isnan(rb) or math.isnan(rt) else max(rb, rt)
    out["ess_bulk"] = ess(z_scale(split(chains)))
    tails = []
    for p in (0.05, 0.95):
        q = type7_quantile(xs, p)
        tails.append(ess(split([[1.0 if v <= q else 0.0 for v in c] for c in chains])))
    out["ess_tail"] = NAN if any(math.isnan(e) for e in tails) else min(tails)
    out["ess_mean"] = ess(split(chains))
    out["mcse_mean"] = sd / math.sqrt(out["ess_mean"])
    return out


def generate():
    """The fixed chains of chains.txt (seeded; kept in the repository so the
    test does not depend on Python's generator)."""
    rng = random.Random(20210601)
    sets = []

    def ar1(M, n, phi, offsets=None, innov=None):
        chains = []
        for c in range(M):
            x, xs = 0.0, []
            for _ in range(n):
                x = phi * x + (innov() if innov else rng.gauss(0, 1))
                xs.append(x + (offsets[c] if offsets else 0.0))
            chains.append(xs)
        return chains

    sets.append(("ar1_odd", ar1(4, 101, 0.7)))
    sets.append(("antithetic", ar1(3, 80, -0.6)))
    sets.append(("shifted", ar1(4, 100, 0.3, offsets=[0, 0, 0, 1.0])))
    sets.append(("heavy", ar1(4, 150, 0.5, innov=lambda: math.tan(math.pi * (rng.random() - 0.5)))))
    # A Markov chain on 0..5 (ties, a discrete tail).
    disc = []
    for c in range(4):
        k, xs = 2, []
        for _ in range(60):
            k = min(5, max(0, k + rng.choice((-1, 0, 0, 1))))
            xs.append(float(k))
        disc.append(xs)
    sets.append(("discrete", disc))
    sets.append(("stuck", [[float(c)] * 50 for c in (1, 2, 2, 3)]))
    sets.append(("short", ar1(2, 7, 0.2)))
    sets.append(("mostly_one", [[1.0 if rng.random() < 0.97 else 0.0 for _ in range(40)] for _ in range(4)]))
    sets.append(("constant", [[3.0] * 10, [3.0] * 10]))
    return sets


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--generate":
        for name, chains in generate():
            print(name, len(chains), len(chains[0]))
            for c in chains:
                print(" ".join(repr(v) for v in c))
        return
    with open(sys.argv[1]) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines) and lines[i].strip():
        name, M, n = lines[i].split()
        chains = [[float(v) for v in lines[i + 1 + c].split()] for c in range(int(M))]
        assert all(len(c) == int(n) for c in chains)
        i += 1 + int(M)
        s = stats(chains)
        vals = ", ".join(repr(s[k]) if math.isfinite(s[k]) else ("kInf" if s[k] > 0 else "kNaN")
                         for k in ("rhat", "ess_bulk", "ess_tail", "ess_mean", "mcse_mean", "sd"))
        print('  {"%s", {%s}},' % (name, vals))


if __name__ == "__main__":
    main()
