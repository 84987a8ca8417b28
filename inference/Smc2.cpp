// Smc2.cpp — SMC² (see Smc2.h): the outer SMC over θ composes inner SmcRuns,
// PMMH proposals (Pmmh.h) and a resampling scheme.
#include "inference/Smc2.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "inference/Batched.h"
#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Parallel.h"
#include "inference/Pmmh.h"
#include "inference/Progress.h"
#include "inference/Smc.h"
#include "inference/Streams.h"

namespace borel::inference {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// A θ-particle: the parameter values, the trace of the parameter choices
// (addresses, distributions, densities), log p(θ) and the inner filter.
struct ThetaParticle {
  std::unique_ptr<ParamValues> theta;  // heap-stable: the inner handlers point into it
  Trace trace;
  int64_t n_params = 0;
  double log_prior = kNegInf;
  std::unique_ptr<SmcRun> run;
};

// An inner filter imposing `theta`, on seed `seed`.
std::unique_ptr<SmcRun> inner_run(rt::Model& model, const Smc2Settings& s, const ParamValues& theta, uint64_t seed) {
  SmcSettings inner = param_smc_settings(s.inner_particles, theta.data(), static_cast<int64_t>(theta.size()), s.method);
  inner.shared_continuations = true;  // copied between parameter particles (copy_state)
  inner.batched = s.batched;
  return std::make_unique<SmcRun>(model, inner, seed, 1);
}

// Steps `run` until it has made `steps` steps or is done.
void run_to(SmcRun& run, int64_t steps) {
  while (!run.done() && run.steps() < steps) run.step();
}

// The joint random walk on the real parameters every θ-particle has at the
// same positions: θ' = θ + (2.38/√d) L z, z ~ N(0, I_d), with L L^T the
// covariance of those parameters across the θ-particles (equally weighted
// right after resampling) — the scale that is optimal for a Gaussian target
// of that covariance (Roberts & Rosenthal). Symmetric, so log q = 0.
// Correlated parameters move together, which single-site moves cannot do.
// Empty (single-site moves only) when the covariance is not positive
// definite, e.g. when every θ-particle holds the same value.
struct JointWalk {
  std::vector<int64_t> index;  // parameter positions moved jointly
  Eigen::MatrixXd scaled_l;    // (2.38/√d) L

  bool covers(int64_t j) const { return std::find(index.begin(), index.end(), j) != index.end(); }
  // θ' into theta2; false when a moved value leaves its support.
  bool propose(const ThetaParticle& p, rt::Rng& rng, ParamValues& theta2) const {
    const auto d = static_cast<Eigen::Index>(index.size());
    Eigen::VectorXd z(d);
    for (Eigen::Index a = 0; a < d; ++a) z[a] = rng.normal();
    const Eigen::VectorXd step = scaled_l * z;
    theta2.assign(p.theta->begin(), p.theta->end());
    for (Eigen::Index a = 0; a < d; ++a) {
      const auto j = static_cast<size_t>(index[static_cast<size_t>(a)]);
      const Choice& ch = p.trace.choices[j];
      const rt::Word x2 = rt::from_real(rt::to_real(ch.value) + step[a]);
      if (!ch.dist.ops->in_support(ch.dist, x2)) return false;
      theta2[j] = x2;
    }
    return true;
  }
};

JointWalk joint_walk(const std::vector<ThetaParticle>& parts) {
  JointWalk w;
  int64_t common = std::numeric_limits<int64_t>::max();
  for (const ThetaParticle& p : parts) common = std::min(common, p.n_params);
  for (int64_t j = 0; j < common; ++j) {
    bool real = true;
    for (const ThetaParticle& p : parts) real = real && p.trace.choices[static_cast<size_t>(j)].dist.ops->value_kind == rt::Kind::Real;
    if (real) w.index.push_back(j);
  }
  const auto d = static_cast<Eigen::Index>(w.index.size());
  if (d == 0 || parts.size() < 2) {
    w.index.clear();
    return w;
  }
  Eigen::MatrixXd x(static_cast<Eigen::Index>(parts.size()), d);
  for (size_t i = 0; i < parts.size(); ++i)
    for (Eigen::Index a = 0; a < d; ++a)
      x(static_cast<Eigen::Index>(i), a) =
          rt::to_real(parts[i].trace.choices[static_cast<size_t>(w.index[static_cast<size_t>(a)])].value);
  const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
  const Eigen::MatrixXd cov = centred.transpose() * centred / static_cast<double>(parts.size() - 1);
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  if (llt.info() != Eigen::Success || !(cov.diagonal().minCoeff() > 0)) {
    w.index.clear();
    return w;
  }
  w.scaled_l = (2.38 / std::sqrt(static_cast<double>(d))) * Eigen::MatrixXd(llt.matrixL());
  return w;
}

}  // namespace

Population smc2(rt::Model& model, const Smc2Settings& s, uint64_t seed, int threads, Diagnostics* diagnostics) {
  require_at_least(s.method, "particles", s.particles, 1);
  require_at_least(s.method, "inner_particles", s.inner_particles, 1);
  require_at_least(s.method, "moves", s.moves, 0);
  require_at_least(s.method, "params", s.params, 0);
  if (!(s.ess_threshold >= 0))
    throw method_error(s.method, "ess_threshold is " + std::to_string(s.ess_threshold) + ", but must be a number >= 0");
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = s.particles;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, n)));
  Contexts ctxs(pool.size());
  std::vector<TraceHandler> handlers(static_cast<size_t>(pool.size()));
  for (TraceHandler& h : handlers) {
    h.method = s.method;
    h.model = &model;
  }
  std::vector<rt::Rng> rngs;
  rngs.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rngs.push_back(particle_stream(seed, i));
  rt::Rng resampling_rng = resampling_stream(seed);
  std::vector<int64_t> accepted(static_cast<size_t>(n), 0), proposed(static_cast<size_t>(n), 0);

  // Outer weights and evidence: a Population whose slots receive the results.
  Population outer(n);
  double* lw = outer.log_weights();
  std::vector<ThetaParticle> parts(static_cast<size_t>(n));

  // θ-particles from the prior, each with a fresh inner filter.
  pool.for_chunks(n, [&](int k, int64_t b, int64_t e) {
    rt::Ctx& ctx = ctxs[k];
    for (int64_t i = b; i < e; ++i) {
      ThetaParticle& p = parts[static_cast<size_t>(i)];
      rt::Rng& rng = rngs[static_cast<size_t>(i)];
      ctx.rng = &rng;
      p.n_params = parameter_choices(model, ctx, handlers[static_cast<size_t>(k)], p.trace, s.params, nullptr);
      p.theta = std::make_unique<ParamValues>();
      p.log_prior = 0.0;
      for (int64_t j = 0; j < p.n_params; ++j) {
        p.theta->push_back(p.trace.choices[static_cast<size_t>(j)].value);
        p.log_prior += p.trace.choices[static_cast<size_t>(j)].log_density;
      }
      p.run = inner_run(model, s, *p.theta, rng.next_u64());
      if (!(p.log_prior > kNegInf)) lw[i] = kNegInf;
    }
  });

  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, s.method, n);
  Progress progress(s.method, s.progress);
  std::vector<double> w(static_cast<size_t>(n)), sd;
  std::vector<int64_t> ancestors(static_cast<size_t>(n));
  std::vector<int64_t> running(static_cast<size_t>(pool.size()));

  for (;;) {
    // Advance every inner filter one step; weight by its evidence increment.
    // The filters step together, in phases (SmcRun::begin_step), so that the
    // language-model calls every θ-particle's particles park at are prepared
    // in one batch per round for all of them (Batched.h); each filter's
    // result is the same as stepping it alone.
    std::vector<char> active(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      active[static_cast<size_t>(i)] = !parts[static_cast<size_t>(i)].run->done() && lw[i] > kNegInf;
    std::vector<double> before(static_cast<size_t>(n));
    pool.for_chunks(n, [&](int, int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (!active[static_cast<size_t>(i)]) continue;
        SmcRun& run = *parts[static_cast<size_t>(i)].run;
        before[static_cast<size_t>(i)] = run.log_evidence();
        run.begin_step();
      }
    });
    for (std::vector<Parking*> parked;;) {
      parked.clear();
      for (int64_t i = 0; i < n; ++i)
        if (active[static_cast<size_t>(i)])
          if (Parking* p = parts[static_cast<size_t>(i)].run->parked()) parked.push_back(p);
      if (parked.empty()) break;
      Parking::prepare(parked, model, s.method);
      pool.for_chunks(n, [&](int, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          if (active[static_cast<size_t>(i)] && parts[static_cast<size_t>(i)].run->parked())
            parts[static_cast<size_t>(i)].run->complete_parked();
      });
    }
    pool.for_chunks(n, [&](int k, int64_t b, int64_t e) {
      int64_t r = 0;
      for (int64_t i = b; i < e; ++i) {
        if (!active[static_cast<size_t>(i)]) continue;
        SmcRun& run = *parts[static_cast<size_t>(i)].run;
        run.end_step();
        const double after = run.log_evidence();
        lw[i] = after > kNegInf ? lw[i] + (after - before[static_cast<size_t>(i)]) : kNegInf;
        r += !run.done() && lw[i] > kNegInf;
      }
      running[static_cast<size_t>(k)] = r;
    });
    ++d.steps;
    const WeightStats ws = outer.weigh(w);
    if (std::isnan(ws.log_sum))
      throw method_error(s.method, "θ-particle " + std::to_string(outer.first_nan()) + " has a NaN log-weight");
    if (ws.log_sum == kNegInf)
      throw method_error(s.method, "every one of the " + std::to_string(n) +
                                       " θ-particles has a zero likelihood estimate (no parameter value is "
                                       "consistent with the observations)");
    d.ess.push_back(ws.ess);
    progress.update(d.steps, ws.ess, n);
    int64_t still = 0;
    for (int64_t r : running) still += r;
    if (still == 0) break;
    if (!(s.ess_threshold >= 1.0 || ws.ess < s.ess_threshold * static_cast<double>(n))) continue;

    // Resample the θ-particles: the first copy of an ancestor takes it over,
    // further copies clone its inner population with streams of their own.
    resample(s.resampling, w, resampling_rng, ancestors, ws.total);
    outer.resample(ancestors, ws.log_sum);
    ++d.resamplings;
    std::vector<ThetaParticle> next(static_cast<size_t>(n));
    std::vector<char> taken(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
      const auto a = static_cast<size_t>(ancestors[static_cast<size_t>(i)]);
      ThetaParticle& q = next[static_cast<size_t>(i)];
      if (!taken[a]) {
        taken[a] = 1;
        continue;  // moved below, once every clone has been made
      }
      const ThetaParticle& p = parts[a];
      q.theta = std::make_unique<ParamValues>(*p.theta);
      q.trace = p.trace;
      q.n_params = p.n_params;
      q.log_prior = p.log_prior;
      q.run = inner_run(model, s, *q.theta, rngs[static_cast<size_t>(i)].next_u64());
      q.run->copy_state(*p.run);
    }
    std::fill(taken.begin(), taken.end(), 0);
    for (int64_t i = 0; i < n; ++i) {
      const auto a = static_cast<size_t>(ancestors[static_cast<size_t>(i)]);
      if (!taken[a]) {
        taken[a] = 1;
        next[static_cast<size_t>(i)] = std::move(parts[a]);
      }
    }
    parts.swap(next);

    const JointWalk walk = joint_walk(parts);
    // Single-site scale of the other real parameters: their sd across the θ-particles.
    sd.clear();
    for (const ThetaParticle& p : parts)
      if (static_cast<int64_t>(sd.size()) < p.n_params) sd.resize(static_cast<size_t>(p.n_params), 0.0);
    for (size_t j = 0; j < sd.size(); ++j) {
      double m1 = 0.0, m2 = 0.0, c = 0.0;
      for (const ThetaParticle& p : parts) {
        if (static_cast<int64_t>(j) >= p.n_params) continue;
        const Choice& ch = p.trace.choices[j];
        if (ch.dist.ops->value_kind != rt::Kind::Real) continue;
        const double x = rt::to_real(ch.value);
        c += 1;
        m1 += x;
        m2 += x * x;
      }
      sd[j] = c > 1 ? std::sqrt(std::max(0.0, m2 / c - (m1 / c) * (m1 / c))) : 0.0;
    }

    // PMMH moves targeting p(θ) Ẑ_t(θ), t = the steps made so far.
    const int64_t t = d.steps;
    pool.for_chunks(n, [&](int k, int64_t b, int64_t e) {
      rt::Ctx& ctx = ctxs[k];
      TraceHandler& h = handlers[static_cast<size_t>(k)];
      Trace prop;
      for (int64_t i = b; i < e; ++i) {
        ThetaParticle& p = parts[static_cast<size_t>(i)];
        rt::Rng& rng = rngs[static_cast<size_t>(i)];
        ctx.rng = &rng;
        // Accepts θ' (in theta2, with its replayed trace in prop) by the PMMH ratio.
        auto try_move = [&](std::unique_ptr<ParamValues> theta2, double lp2, double log_q) {
          auto run2 = inner_run(model, s, *theta2, rng.next_u64());
          run_to(*run2, t);
          const double ll2 = run2->log_evidence(), ll = p.run->log_evidence();
          const double la = lp2 + ll2 - p.log_prior - ll + log_q;
          if (ll2 > kNegInf && (la >= 0 || std::log(rng.uniform()) < la)) {
            p.theta = std::move(theta2);
            std::swap(p.trace, prop);
            p.log_prior = lp2;
            p.run = std::move(run2);
            ++accepted[static_cast<size_t>(i)];
          }
        };
        for (int64_t m = 0; m < s.moves; ++m) {
          if (!walk.index.empty()) {
            ++proposed[static_cast<size_t>(i)];
            auto theta2 = std::make_unique<ParamValues>();
            double lp2 = 0.0;
            if (walk.propose(p, rng, *theta2) &&
                replay_parameters(model, ctx, h, p.trace, p.n_params, s.params, *theta2, prop, lp2))
              try_move(std::move(theta2), lp2, 0.0);
          }
          for (int64_t j = 0; j < p.n_params; ++j) {
            if (walk.covers(j)) continue;
            const Choice& ch = p.trace.choices[static_cast<size_t>(j)];
            const double step = sd[static_cast<size_t>(j)] > 0 ? sd[static_cast<size_t>(j)] : ch.scale;
            auto theta2 = std::make_unique<ParamValues>();
            double lp2 = 0.0, log_q = 0.0;
            ++proposed[static_cast<size_t>(i)];
            if (propose_parameter(model, ctx, h, p.trace, p.n_params, s.params, *p.theta, j, step, rng, prop,
                                  *theta2, lp2, log_q))
              try_move(std::move(theta2), lp2, log_q);
          }
        }
      }
    });
  }

  // One result per θ-particle: an inner particle drawn by weight.
  int64_t live = -1;
  for (int64_t i = 0; i < n && live < 0; ++i)
    if (lw[i] > kNegInf) live = i;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t from = lw[i] > kNegInf ? i : live;  // a zero-weight θ-particle repeats a live value
    outer.slots()[i] = draw_result(parts[static_cast<size_t>(from)].run->population(), rngs[static_cast<size_t>(i)]);
    outer.status()[i] = Status::Done;
  }
  int64_t a = 0, p = 0;
  for (int64_t i = 0; i < n; ++i) {
    a += accepted[static_cast<size_t>(i)];
    p += proposed[static_cast<size_t>(i)];
  }
  if (p > 0) d.acceptance.emplace_back("pmmh", static_cast<double>(a) / static_cast<double>(p));
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outer;
}

}  // namespace borel::inference
