// Pmmh.cpp — particle marginal MH (see Pmmh.h).
#include "inference/Pmmh.h"

#include <gc/gc_allocator.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "inference/Batched.h"
#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Kernels.h"
#include "inference/Parallel.h"

namespace borel::inference {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
using Words = ParamValues;
}  // namespace

rt::Word ParamHandler::sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) {
  // Parked before anything changes (Batched.h); save_segment keeps where the
  // particle stands among θ's values.
  if (parking && Parking::should_park(d)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Sample, d, 0, site);
    return 0;
  }
  if (starting) {
    starting = false;
    first_segment_ = segment;
    count_ = 0;
  }
  if (segment == first_segment_ && count_ < n_theta) return theta[count_++];
  return d.ops->sample(d, *ctx.rng);
}

void ParamHandler::add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what) {
  if (starting) {
    starting = false;
    first_segment_ = segment;
    count_ = 0;
  }
  if (segment == first_segment_) first_segment_ = ~uint64_t{0};  // no parameter after the first observe
  if (!std::isfinite(lw)) {
    if (std::isnan(lw)) throw site_error(model, site, method, std::string(what) + " is NaN");
    if (lw > 0) throw site_error(model, site, method, std::string(what) + " is +infinity");
    if (zero_site < 0) zero_site = site;
  }
  ctx.log_weight += lw;
  ctx.suspend_requested = true;
}

void ParamHandler::observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) {
  if (parking && Parking::should_park(d, v)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Observe, d, v, site);
    return;
  }
  add(ctx, d.ops->log_density(d, v), site, "the log-density of the observed value");
}
void ParamHandler::factor(rt::Ctx& ctx, double lw, rt::SiteId site) { add(ctx, lw, site, "the factor's log-weight"); }

int64_t parameter_choices(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, Trace& t, int64_t params,
                          const ValueMap* proposed) {
  h.old = nullptr;
  h.redraw = Address{};
  h.proposed = proposed;
  h.suspend_at = 1;
  run_traced(model, ctx, h, t);
  const auto before = static_cast<int64_t>(t.choices.size());
  if (params > before)
    throw method_error(h.method, "params is " + std::to_string(params) + ", but the program makes only " +
                                     std::to_string(before) + " random choices before its first observe/factor");
  return params > 0 ? params : before;
}

SmcSettings param_smc_settings(int64_t particles, const rt::Word* theta, int64_t n_theta, const char* method) {
  SmcSettings s;
  s.particles = particles;
  s.ess_threshold = 0.5;  // adaptive: resampling less adds less noise to Ẑ(θ)
  s.method = method;
  s.make_handler = [theta, n_theta, method] {
    auto hp = std::make_unique<ParamHandler>();
    hp->theta = theta;
    hp->n_theta = n_theta;
    hp->method = method;
    return std::unique_ptr<InferenceHandler>(std::move(hp));
  };
  s.zero_weight_is_error = false;  // every particle impossible: Ẑ(θ) = 0, which MH rejects
  return s;
}

rt::Word draw_result(const Population& pop, rt::Rng& rng) {
  std::vector<double> w(static_cast<size_t>(pop.size()));
  pop.normalise(w);
  double u = rng.uniform(), acc = 0.0;
  int64_t last = -1;  // rounding may leave u above the total: the last particle of positive weight
  for (int64_t i = 0; i < pop.size(); ++i) {
    if (!(w[static_cast<size_t>(i)] > 0)) continue;
    acc += w[static_cast<size_t>(i)];
    last = i;
    if (u < acc) return pop.slots()[i];
  }
  return pop.slots()[last];
}

bool replay_parameters(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, const Trace& cur, int64_t P, int64_t params,
                       const ParamValues& theta2, Trace& prop, double& lp2) {
  ValueMap values;
  for (int64_t i = 0; i < P; ++i) values[cur.choices[static_cast<size_t>(i)].addr] = theta2[static_cast<size_t>(i)];
  const int64_t P2 = parameter_choices(model, ctx, h, prop, params, &values);
  if (P2 != P) return false;
  lp2 = 0.0;
  for (int64_t i = 0; i < P; ++i) {
    if (!(prop.choices[static_cast<size_t>(i)].addr == cur.choices[static_cast<size_t>(i)].addr)) return false;
    lp2 += prop.choices[static_cast<size_t>(i)].log_density;
  }
  return lp2 > kNegInf;
}

bool propose_parameter(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, const Trace& cur, int64_t P,
                       int64_t params, const ParamValues& theta, int64_t j, double sd, rt::Rng& rng, Trace& prop,
                       ParamValues& theta2, double& lp2, double& log_q, bool trans_dimensional) {
  const Choice ch = cur.choices[static_cast<size_t>(j)];
  if (!trans_dimensional || params > 0) {
    // Fixed parameters: every one imposed at its address; the move is
    // rejected if their number or addresses change.
    rt::Word x2;
    log_q = 0.0;
    if (ch.dist.ops->value_kind == rt::Kind::Real) {
      x2 = rt::from_real(rt::to_real(ch.value) + sd * rng.normal());
    } else {
      x2 = ch.dist.ops->sample(ch.dist, rng);
      log_q = ch.dist.ops->log_density(ch.dist, ch.value) - ch.dist.ops->log_density(ch.dist, x2);
    }
    if (!ch.dist.ops->in_support(ch.dist, x2) || !(ch.dist.ops->log_density(ch.dist, x2) > kNegInf)) return false;
    theta2.assign(theta.begin(), theta.end());
    theta2[static_cast<size_t>(j)] = x2;
    return replay_parameters(model, ctx, h, cur, P, params, theta2, prop, lp2);
  }
  // The parameters are every choice before the first observe/factor, so
  // their number may change: a trace move (Trace.h) on that prefix, the
  // others reused, those the new value brings drawn fresh, those it removes
  // stale; the reverse move picks among the P′ parameters of θ′.
  ValueMap proposed;
  Address redraw{};
  if (ch.dist.ops->value_kind == rt::Kind::Real) {
    const rt::Word x2 = rt::from_real(rt::to_real(ch.value) + sd * rng.normal());
    if (!ch.dist.ops->in_support(ch.dist, x2) || !(ch.dist.ops->log_density(ch.dist, x2) > kNegInf)) return false;
    proposed[ch.addr] = x2;
  } else {
    redraw = ch.addr;  // redrawn from its distribution: the fresh and stale terms are its q ratio
  }
  h.old = &cur;
  h.redraw = redraw;
  h.proposed = &proposed;
  h.suspend_at = 1;
  h.start_counts = nullptr;
  run_traced(model, ctx, h, prop);
  lp2 = prop.log_prior();
  if (!(lp2 > kNegInf)) return false;
  const auto P2 = static_cast<int64_t>(prop.choices.size());
  log_q = h.log_stale() - h.log_fresh + std::log(static_cast<double>(P)) - std::log(static_cast<double>(P2));
  theta2.clear();
  for (const Choice& c : prop.choices) theta2.push_back(c.value);
  return true;
}

Population pmmh(rt::Model& model, const PmmhSettings& ps, uint64_t seed, int threads, Diagnostics* diagnostics) {
  require_at_least(ps.method, "particles", ps.particles, 1);
  require_at_least(ps.method, "samples", ps.samples, 1);
  require_at_least(ps.method, "warmup", ps.warmup, 0);
  require_at_least(ps.method, "chains", ps.chains, 1);
  require_at_least(ps.method, "params", ps.params, 0);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  Population out(ps.samples * ps.chains);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, ps.chains)));
  Contexts ctxs(pool.size());
  std::vector<int64_t> accepted(static_cast<size_t>(ps.chains)), proposed_n(static_cast<size_t>(ps.chains));

  pool.for_chunks(ps.chains, [&](int k, int64_t b, int64_t e) {
    rt::Ctx& ctx = ctxs[k];
    TraceHandler h;
    h.method = ps.method;
    h.model = &model;
    for (int64_t c = b; c < e; ++c) {
      rt::Rng rng(seed, 1 + static_cast<uint64_t>(c));
      ctx.rng = &rng;
      Words theta, theta2, value(2, 0);
      // log Ẑ(θ) by SMC with θ imposed; value[slot] = one particle's result drawn by weight.
      auto evidence = [&](const Words& th, size_t slot) {
        const SmcSettings s = param_smc_settings(ps.particles, th.data(), static_cast<int64_t>(th.size()), ps.method);
        const Population pop = smc(model, s, rng.next_u64(), 1);
        if (!(pop.log_evidence() > kNegInf)) return kNegInf;
        value[slot] = draw_result(pop, rng);
        return pop.log_evidence();
      };
      Trace cur, prop;
      int64_t P = 0;
      double lp = kNegInf, ll = kNegInf;
      for (int tries = 0; tries < 1000 && !(lp + ll > kNegInf); ++tries) {
        P = parameter_choices(model, ctx, h, cur, ps.params, nullptr);
        theta.clear();
        lp = 0.0;
        for (int64_t i = 0; i < P; ++i) {
          theta.push_back(cur.choices[static_cast<size_t>(i)].value);
          lp += cur.choices[static_cast<size_t>(i)].log_density;
        }
        ll = lp > kNegInf ? evidence(theta, 0) : kNegInf;
      }
      if (!(lp + ll > kNegInf))
        throw method_error(ps.method, "no parameter value with a positive likelihood estimate in 1000 prior draws");
      // Random-walk steps adapted per site (the parameters' number may vary).
      std::unordered_map<rt::SiteId, WalkStep> steps;
      SweepLength sweep;
      int64_t acc_n = 0, prop_n = 0;
      for (int64_t it = 0; it < ps.warmup + ps.samples; ++it) {
        // A sweep: as many single-site moves as parameters, on parameters
        // picked at random (P varies with θ when params = 0; SweepLength keeps
        // the number of moves from following the state).
        const int64_t moves = sweep.moves(P, it < ps.warmup);
        for (int64_t m = 0; m < moves; ++m) {
          const auto j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(P)));
          const Choice ch = cur.choices[static_cast<size_t>(j)];
          const bool real = ch.dist.ops->value_kind == rt::Kind::Real;
          WalkStep& step = steps[ch.site];
          bool ok = false;
          ++prop_n;
          double lp2 = 0.0, log_q = 0.0;
          if (propose_parameter(model, ctx, h, cur, P, ps.params, theta, j, step.step() * ch.scale, rng, prop,
                                theta2, lp2, log_q, true)) {
            const double ll2 = evidence(theta2, 1);
            const double la = lp2 + ll2 - lp - ll + log_q;
            if (ll2 > kNegInf && (la >= 0 || std::log(rng.uniform()) < la)) {
              ok = true;
              std::swap(cur, prop);
              theta.swap(theta2);
              P = static_cast<int64_t>(theta.size());
              lp = lp2;
              ll = ll2;
              value[0] = value[1];
              ++acc_n;
            }
          }
          if (real && it < ps.warmup) step.update(ok);
        }
        if (it == ps.warmup - 1) acc_n = prop_n = 0;
        if (it >= ps.warmup) {
          const int64_t slot = c * ps.samples + (it - ps.warmup);
          out.slots()[slot] = value[0];
          out.status()[slot] = Status::Done;
        }
      }
      accepted[static_cast<size_t>(c)] = acc_n;
      proposed_n[static_cast<size_t>(c)] = prop_n;
    }
  });
  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, ps.method, out.size(), ps.chains);
  d.steps = ps.warmup + ps.samples;
  int64_t a = 0, p = 0;
  for (int64_t c = 0; c < ps.chains; ++c) {
    a += accepted[static_cast<size_t>(c)];
    p += proposed_n[static_cast<size_t>(c)];
    d.chain_accepted.push_back(accepted[static_cast<size_t>(c)]);
  }
  if (p > 0) d.acceptance.emplace_back("pmmh", static_cast<double>(a) / static_cast<double>(p));
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace borel::inference
