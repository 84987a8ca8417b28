// Pmmh.cpp — particle marginal MH (see Pmmh.h).
#include "inference/Pmmh.h"

#include <gc/gc_allocator.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Parallel.h"

namespace borel::inference {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
using Words = std::vector<rt::Word, traceable_allocator<rt::Word>>;
}  // namespace

rt::Word ParamHandler::sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId) {
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
  add(ctx, d.ops->log_density(d, v), site, "the log-density of the observed value");
}
void ParamHandler::factor(rt::Ctx& ctx, double lw, rt::SiteId site) { add(ctx, lw, site, "the factor's log-weight"); }

int64_t parameter_choices(rt::Model& model, rt::Ctx& ctx, TraceHandler& h, Trace& t, int64_t params,
                          const std::unordered_map<Address, rt::Word, AddressHash>* proposed) {
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

Population pmmh(rt::Model& model, const PmmhSettings& ps, uint64_t seed, int threads, Diagnostics* diagnostics) {
  auto positive = [&](const char* what, int64_t v, int64_t lo) {
    if (v < lo)
      throw method_error(ps.method, std::string(what) + " is " + std::to_string(v) + ", but must be " +
                                        (lo == 0 ? "non-negative" : "positive"));
  };
  positive("particles", ps.particles, 1);
  positive("samples", ps.samples, 1);
  positive("warmup", ps.warmup, 0);
  positive("chains", ps.chains, 1);
  positive("params", ps.params, 0);
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
      std::vector<double> w(static_cast<size_t>(ps.particles));
      auto evidence = [&](const Words& th, size_t slot) {
        SmcSettings s;
        s.particles = ps.particles;
        s.method = ps.method;
        const rt::Word* tp = th.data();
        const auto nt = static_cast<int64_t>(th.size());
        const char* method = ps.method;
        s.make_handler = [tp, nt, method] {
          auto hp = std::make_unique<ParamHandler>();
          hp->theta = tp;
          hp->n_theta = nt;
          hp->method = method;
          return std::unique_ptr<InferenceHandler>(std::move(hp));
        };
        Population pop;
        try {
          pop = smc(model, s, rng.next_u64(), 1);
        } catch (const rt::RuntimeError& err) {
          if (err.message.find("zero weight") == std::string::npos) throw;
          return kNegInf;  // every particle impossible: Ẑ = 0
        }
        pop.normalise(w);
        double u = rng.uniform(), acc = 0.0;
        int64_t j = ps.particles - 1;
        for (int64_t i = 0; i < ps.particles; ++i) {
          acc += w[static_cast<size_t>(i)];
          if (u < acc) {
            j = i;
            break;
          }
        }
        value[slot] = pop.slots()[j];
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
      std::vector<double> log_step(static_cast<size_t>(P), std::log(0.5));
      std::unordered_map<Address, rt::Word, AddressHash> values;
      int64_t acc_n = 0, prop_n = 0;
      for (int64_t it = 0; it < ps.warmup + ps.samples; ++it) {
        for (int64_t j = 0; j < P; ++j) {
          const Choice ch = cur.choices[static_cast<size_t>(j)];
          rt::Word x2;
          double log_q = 0.0;  // log q(θ | θ') − log q(θ' | θ)
          const bool real = ch.dist.ops->value_kind == rt::Kind::Real;
          if (real) {
            x2 = rt::from_real(rt::to_real(ch.value) + std::exp(log_step[static_cast<size_t>(j)]) * ch.scale * rng.normal());
          } else {
            x2 = ch.dist.ops->sample(ch.dist, rng);
            log_q = ch.dist.ops->log_density(ch.dist, ch.value) - ch.dist.ops->log_density(ch.dist, x2);
          }
          bool ok = false;
          ++prop_n;
          if (ch.dist.ops->in_support(ch.dist, x2) && ch.dist.ops->log_density(ch.dist, x2) > kNegInf) {
            values.clear();
            theta2.assign(theta.begin(), theta.end());
            theta2[static_cast<size_t>(j)] = x2;
            for (int64_t i = 0; i < P; ++i) values[cur.choices[static_cast<size_t>(i)].addr] = theta2[static_cast<size_t>(i)];
            const int64_t P2 = parameter_choices(model, ctx, h, prop, ps.params, &values);
            bool same = P2 == P;
            double lp2 = 0.0;
            for (int64_t i = 0; same && i < P; ++i) {
              same = prop.choices[static_cast<size_t>(i)].addr == cur.choices[static_cast<size_t>(i)].addr;
              lp2 += prop.choices[static_cast<size_t>(i)].log_density;
            }
            if (same && lp2 > kNegInf) {
              const double ll2 = evidence(theta2, 1);
              const double la = lp2 + ll2 - lp - ll + log_q;
              if (ll2 > kNegInf && (la >= 0 || std::log(rng.uniform()) < la)) {
                ok = true;
                std::swap(cur, prop);
                theta.swap(theta2);
                lp = lp2;
                ll = ll2;
                value[0] = value[1];
                ++acc_n;
              }
            }
          }
          if (real && it < ps.warmup) {
            double& ls = log_step[static_cast<size_t>(j)];
            ls += ((ok ? 1.0 : 0.0) - 0.44) / std::sqrt(static_cast<double>(it) + 10.0);
            ls = std::min(std::max(ls, -20.0), 5.0);
          }
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
  Diagnostics& d = diagnostics ? *diagnostics : local;
  d = Diagnostics{};
  d.method = ps.method;
  d.particles = out.size();
  d.chains = ps.chains;
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
