// Kernels.cpp — single-site, random-walk and independence MH (see Kernels.h).
#include "inference/Kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "inference/Errors.h"
#include "inference/GmmRj.h"
#include "inference/NutsKernel.h"

namespace borel::inference {

namespace {
constexpr double kNegInf = -std::numeric_limits<double>::infinity();
const Address kNone{};
}  // namespace

double ChainState::replay(const Address& redraw,
                          const ValueMap* proposed) {
  TraceHandler& h = *handler;
  h.old = &cur;
  h.redraw = redraw;
  h.proposed = proposed;
  h.suspend_at = suspend_at;
  ctx->rng = rng;
  run(prop);
  const double jp = prop.log_joint();
  if (!(jp > kNegInf)) return kNegInf;
  return jp - cur.log_joint() + h.log_stale() - h.log_fresh;
}

bool ChainState::accept(double log_alpha, KernelStats& stats) {
  ++stats.proposed;
  if (std::isnan(log_alpha) || !(log_alpha > kNegInf)) return false;
  if (log_alpha < 0 && std::log(rng->uniform()) >= log_alpha) return false;
  std::swap(cur, prop);
  ++stats.accepted;
  return true;
}

void ChainState::run(Trace& t) {
  handler->start_counts = from_counts;
  run_traced(*model, *ctx, *handler, t, from);
}

void ChainState::init_from_prior() {
  TraceHandler& h = *handler;
  ctx->rng = rng;
  for (int tries = 0; tries < 10000; ++tries) {
    h.old = nullptr;
    h.redraw = kNone;
    h.proposed = nullptr;
    h.suspend_at = suspend_at;
    run(cur);
    if (cur.log_joint() > kNegInf) return;
  }
  throw method_error(h.method, "no run of the program with positive weight in 10000 draws from the prior");
}

namespace {

// Single-site moves: redraw from the prior ("single") or random walk on reals ("rw").
class SingleSiteKernel final : public Kernel {
 public:
  explicit SingleSiteKernel(bool rw) : rw_(rw) {
    prior_.name = rw ? "rw/prior" : "single";
    walk_.name = "rw";
  }
  void iterate(ChainState& c) override {
    const int64_t moves = sweep_.moves(c);
    for (int64_t m = 0; m < moves; ++m) move(c);
  }
  std::vector<KernelStats> stats() const override {
    if (!rw_) return {prior_};
    return {walk_, prior_};
  }

 private:
  void move(ChainState& c) {
    const auto n = static_cast<int64_t>(c.cur.choices.size());
    if (n == 0) return;
    const Choice ch = c.cur.choices[static_cast<size_t>(c.rng->below(static_cast<uint64_t>(n)))];
    if (rw_ && ch.dist.ops->value_kind == rt::Kind::Real) {
      WalkStep& a = steps_[ch.addr.site];
      const double x = rt::to_real(ch.value) + a.step() * ch.scale * c.rng->normal();
      // Outside the support: rejected without running the program (the
      // distribution at this site is unchanged, since every choice before it is).
      double la = -std::numeric_limits<double>::infinity();
      if (ch.dist.ops->in_support(ch.dist, rt::from_real(x)) &&
          ch.dist.ops->log_density(ch.dist, rt::from_real(x)) > -std::numeric_limits<double>::infinity()) {
        proposed_.clear();
        proposed_[ch.addr] = rt::from_real(x);
        la = c.replay(kNone, &proposed_);
      }
      if (la > kNegInf) la += std::log(static_cast<double>(n)) - std::log(static_cast<double>(c.prop.choices.size()));
      const bool ok = c.accept(la, walk_);
      if (c.warmup) a.update(ok);
      return;
    }
    double la = c.replay(ch.addr);
    if (la > kNegInf) la += std::log(static_cast<double>(n)) - std::log(static_cast<double>(c.prop.choices.size()));
    c.accept(la, prior_);
  }
  bool rw_;
  SweepLength sweep_;
  KernelStats prior_, walk_;
  std::unordered_map<rt::SiteId, WalkStep> steps_;
  ValueMap proposed_;
};

// Independence MH with the prior as proposal.
class IndependentKernel final : public Kernel {
 public:
  IndependentKernel() { s_.name = "independent"; }
  void iterate(ChainState& c) override {
    const int64_t moves = sweep_.moves(c);
    for (int64_t m = 0; m < moves; ++m) {
      TraceHandler& h = *c.handler;
      h.old = nullptr;
      h.redraw = kNone;
      h.proposed = nullptr;
      h.suspend_at = c.suspend_at;
      c.ctx->rng = c.rng;
      c.run(c.prop);
      c.accept(c.prop.log_likelihood - c.cur.log_likelihood, s_);
    }
  }
  std::vector<KernelStats> stats() const override { return {s_}; }

 private:
  SweepLength sweep_;
  KernelStats s_;
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, std::function<std::unique_ptr<Kernel>()>>& registry() {
  // Model-specific kernels shipped with the library, then whatever a host registers.
  static std::map<std::string, std::function<std::unique_ptr<Kernel>()>> r = {{"gmm_rj", make_gmm_rj_kernel}};
  return r;
}

}  // namespace

int64_t SweepLength::moves(const ChainState& c) {
  if (!c.sweep) return 1;
  return moves(static_cast<int64_t>(c.cur.choices.size()), c.warmup);
}

int64_t SweepLength::moves(int64_t size, bool warmup) {
  const int64_t n = std::max<int64_t>(1, size);
  if (warmup) {
    sum_ += static_cast<double>(n);
    ++count_;
    return n;
  }
  if (frozen_ < 1) frozen_ = count_ > 0 ? std::max<int64_t>(1, std::llround(sum_ / static_cast<double>(count_))) : n;
  return frozen_;
}

void register_kernel(const std::string& name, std::function<std::unique_ptr<Kernel>()> factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[name] = std::move(factory);
}

std::unique_ptr<Kernel> make_kernel(const std::string& name, const char* method) {
  if (name == "single") return std::make_unique<SingleSiteKernel>(false);
  if (name == "rw") return std::make_unique<SingleSiteKernel>(true);
  if (name == "independent") return std::make_unique<IndependentKernel>();
  if (name == "nuts") return make_nuts_kernel();
  std::lock_guard<std::mutex> lock(registry_mutex());
  const auto it = registry().find(name);
  if (it != registry().end()) return it->second();
  std::string known = "single, rw, independent, nuts";
  for (const auto& [k, f] : registry()) known += ", " + k;
  throw method_error(method, "kernel is '" + name + "', but must be one of " + known);
}

std::vector<std::unique_ptr<Kernel>> make_kernels(const std::string& spec, const char* method) {
  std::vector<std::unique_ptr<Kernel>> ks;
  size_t b = 0;
  for (;;) {
    const size_t e = spec.find('+', b);
    ks.push_back(make_kernel(spec.substr(b, e == std::string::npos ? std::string::npos : e - b), method));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  // "nuts" alone moves no choice it holds (NutsKernel.h).
  if (ks.size() == 1)
    if (auto* nuts = dynamic_cast<NutsKernel*>(ks[0].get())) nuts->set_only_kernel(true);
  return ks;
}

}  // namespace borel::inference
