// Proposal.cpp — the proposal kernel (see Proposal.h).
#include "inference/Proposal.h"

#include <cmath>
#include <limits>
#include <unordered_map>

#include "runtime/Sites.h"

namespace borel::inference {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The trace a running proposal reads, per thread (chains run in parallel).
thread_local const Trace* tls_current = nullptr;

struct CurrentTrace {
  explicit CurrentTrace(const Trace* t) : saved(tls_current) { tls_current = t; }
  ~CurrentTrace() { tls_current = saved; }
  const Trace* saved;
};

// Runs a proposal program: draws its named choices (forward) or scores the
// values another trace has at those addresses (reverse).
class ProposalHandler final : public rt::Handler {
 public:
  const Trace* score_against = nullptr;  // reverse mode: take values from here
  ValueMap values;
  double log_q = 0.0;
  bool missing = false;  // reverse: an address the target trace lacks

  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId) override {
    if (ctx.address < 0)
      throw rt::RuntimeError{"", "every random choice of a proposal must be named: sample(d, \"name\")"};
    const Address a{ctx.address, counts_[ctx.address]++};
    // A value of another kind than the model's choice of that name would
    // reach the model's distribution as bits of the wrong type.
    if (const int64_t i = tls_current ? tls_current->find(a) : -1; i >= 0) {
      const rt::DistOps* model_ops = tls_current->choices[static_cast<size_t>(i)].dist.ops;
      if (model_ops->value_kind != d.ops->value_kind)
        throw rt::RuntimeError{"", "the proposal's choice \"" + rt::site_name(ctx.address) + "\" is drawn from " +
                                       d.ops->name + ", whose values are of another type than the model's choice of "
                                       "that name (from " + model_ops->name + ")"};
    }
    rt::Word v;
    if (score_against) {
      const int64_t i = score_against->find(a);
      if (i < 0) {
        missing = true;
        v = d.ops->sample(d, *ctx.rng);  // keeps the program running; the move is rejected
      } else {
        v = score_against->choices[static_cast<size_t>(i)].value;
      }
    } else {
      v = d.ops->sample(d, *ctx.rng);
    }
    log_q += d.ops->log_density(d, v);
    values[a] = v;
    return v;
  }
  void observe(rt::Ctx&, const rt::Dist&, rt::Word, rt::SiteId) override {
    throw rt::RuntimeError{"", "a proposal cannot observe: it only proposes values with sample(d, \"name\")"};
  }
  void factor(rt::Ctx&, double, rt::SiteId) override {
    throw rt::RuntimeError{"", "a proposal cannot factor: it only proposes values with sample(d, \"name\")"};
  }

 private:
  std::unordered_map<rt::SiteId, int64_t> counts_;
};

// Runs the proposal reading `current`; returns false if it did not finish.
bool run_proposal(rt::Model& proposal, const Trace& current, ProposalHandler& h, rt::Rng& rng) {
  CurrentTrace scope(&current);
  rt::Ctx ctx;
  ctx.handler = &h;
  ctx.rng = &rng;
  const rt::Step s = proposal.start(ctx);
  if (!s.done()) throw rt::RuntimeError{"", "a proposal program must run to its end without suspending"};
  return true;
}

bool made_all(const Trace& t, const ValueMap& values) {
  bool all = true;
  values.for_each([&](const Address& a, const rt::Word&) { all = all && t.find(a) >= 0; });
  return all;
}

bool same_addresses(const ValueMap& a, const ValueMap& b) {
  if (a.size() != b.size()) return false;
  bool same = true;
  a.for_each([&](const Address& k, const rt::Word&) { same = same && b.find(k) != nullptr; });
  return same;
}

class ProposalKernel final : public Kernel {
 public:
  explicit ProposalKernel(rt::Model& proposal) : proposal_(proposal) { stats_.name = "proposal"; }

  // The move is reversible only when the reverse proposal, run on T',
  // proposes values at exactly the addresses the forward one did, and T'
  // has all of them: an address proposed but not made by T' (or proposed
  // only one way) would leave a value with no counterpart in the reverse
  // move, and its q-density would bias the ratio. Such moves are rejected.
  void iterate(ChainState& c) override {
    ProposalHandler forward;
    run_proposal(proposal_, c.cur, forward, *c.rng);
    double log_alpha = c.replay(Address{}, &forward.values);
    if (log_alpha > kNegInf && !made_all(c.prop, forward.values)) log_alpha = kNegInf;
    if (log_alpha > kNegInf) {
      ProposalHandler reverse;
      reverse.score_against = &c.cur;
      run_proposal(proposal_, c.prop, reverse, *c.rng);
      log_alpha = reverse.missing || !same_addresses(forward.values, reverse.values)
                      ? kNegInf
                      : log_alpha + reverse.log_q - forward.log_q;
    }
    c.accept(log_alpha, stats_);
  }
  std::vector<KernelStats> stats() const override { return {stats_}; }

 private:
  rt::Model& proposal_;
  KernelStats stats_;
};

}  // namespace

const Choice& proposal_choice(const std::string& name) {
  if (!tls_current)
    throw rt::RuntimeError{"", "trace values can only be read inside a proposal (mh_proposal) or a reverse program (hvi)"};
  const int64_t i = tls_current->find(Address{rt::name_site(name), 0});
  if (i < 0) throw rt::RuntimeError{"", "the current trace has no random choice named \"" + name + "\""};
  return tls_current->choices[static_cast<size_t>(i)];
}

namespace {
thread_local const NamedValues* tls_named = nullptr;
}

NamedValuesScope::NamedValuesScope(const NamedValues* v) : saved_(tls_named) { tls_named = v; }
NamedValuesScope::~NamedValuesScope() { tls_named = saved_; }

rt::Word read_named_choice(const std::string& name, rt::Kind& kind) {
  if (tls_named) {
    rt::Word v = 0;
    if (!tls_named->find(rt::name_site(name), v, kind))
      throw rt::RuntimeError{"", "the guide has no random choice named \"" + name + "\""};
    return v;
  }
  const Choice& c = proposal_choice(name);
  kind = c.dist.ops->value_kind;
  return c.value;
}

std::unique_ptr<Kernel> make_proposal_kernel(rt::Model& proposal) {
  return std::make_unique<ProposalKernel>(proposal);
}

}  // namespace borel::inference
