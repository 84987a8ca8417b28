// GmmRj.cpp — reversible-jump moves for mixtures with a random number of
// components (see GmmRj.h; the ratios are derived in docs/inference.md).
#include "inference/GmmRj.h"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "inference/Errors.h"

namespace borel::inference {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr double kLogTwoPi = 1.83787706640934548356;

// Where the count, weights and means are in a trace.
struct Layout {
  int64_t count = -1;                 // index of the count choice
  rt::SiteId weight_site = -1, mean_site = -1;
  std::vector<int64_t> weight, mean;  // indices of component k's choices
  int64_t k() const { return static_cast<int64_t>(weight.size()); }
};

bool find_layout(const Trace& t, Layout& l) {
  l = Layout{};
  const auto n = static_cast<int64_t>(t.choices.size());
  for (int64_t i = 0; i < n; ++i)
    if (t.choices[static_cast<size_t>(i)].dist.ops->value_kind == rt::Kind::Int) {
      l.count = i;
      break;
    }
  if (l.count < 0) return false;
  for (int64_t i = l.count + 1; i < n; ++i) {
    const Choice& c = t.choices[static_cast<size_t>(i)];
    if (l.weight_site < 0) l.weight_site = c.addr.site;
    else if (l.mean_site < 0 && c.addr.site != l.weight_site) l.mean_site = c.addr.site;
    if (c.addr.site == l.weight_site) {
      if (c.addr.k != l.k()) return false;
      l.weight.push_back(i);
    } else if (c.addr.site == l.mean_site) {
      if (c.addr.k != static_cast<int64_t>(l.mean.size())) return false;
      l.mean.push_back(i);
    }
  }
  return l.k() >= 1 && l.mean.size() == l.weight.size() &&
         t.choices[static_cast<size_t>(l.count)].dist.ops->value_kind == rt::Kind::Int;
}

class GmmRjKernel final : public Kernel {
 public:
  GmmRjKernel() {
    swap_.name = "gmm_rj/swap";
    birth_.name = "gmm_rj/birth";
    death_.name = "gmm_rj/death";
    split_.name = "gmm_rj/split";
    merge_.name = "gmm_rj/merge";
  }

  void iterate(ChainState& c) override {
    layout(c);
    swap(c);
    layout(c);
    if (c.rng->uniform() < 0.5) birth(c);
    else death(c);
    layout(c);
    if (c.rng->uniform() < 0.5) split(c);
    else merge(c);
  }

  std::vector<KernelStats> stats() const override { return {swap_, birth_, death_, split_, merge_}; }

 private:
  void layout(ChainState& c) {
    if (!find_layout(c.cur, l_))
      throw method_error(c.handler->method,
                         "kernel gmm_rj needs an integer count followed by K weights at one site and K means at "
                         "another (see GmmRj.h)");
  }
  const Choice& at(const ChainState& c, int64_t i) const { return c.cur.choices[static_cast<size_t>(i)]; }
  Address count_addr(const ChainState& c) const { return at(c, l_.count).addr; }
  rt::Word count_value(const ChainState& c) const { return at(c, l_.count).value; }
  // After a replay: did the program make `k` components?
  bool has_k(const ChainState& c, int64_t k) {
    Layout l;
    return find_layout(c.prop, l) && l.k() == k;
  }
  double weight(const ChainState& c, int64_t j) const { return rt::to_real(at(c, l_.weight[static_cast<size_t>(j)]).value); }
  double mean(const ChainState& c, int64_t j) const { return rt::to_real(at(c, l_.mean[static_cast<size_t>(j)]).value); }
  Address waddr(int64_t j) const { return {l_.weight_site, j}; }
  Address maddr(int64_t j) const { return {l_.mean_site, j}; }

  // Relabelling: component j ↔ component K−1 (a deterministic involution).
  void swap(ChainState& c) {
    const int64_t k = l_.k();
    if (k < 2) return;
    const auto j = static_cast<int64_t>(c.rng->below(static_cast<uint64_t>(k - 1)));
    prop_.clear();
    prop_[waddr(j)] = at(c, l_.weight[static_cast<size_t>(k - 1)]).value;
    prop_[maddr(j)] = at(c, l_.mean[static_cast<size_t>(k - 1)]).value;
    prop_[waddr(k - 1)] = at(c, l_.weight[static_cast<size_t>(j)]).value;
    prop_[maddr(k - 1)] = at(c, l_.mean[static_cast<size_t>(j)]).value;
    double la = c.replay(Address{}, &prop_);
    if (!has_k(c, k)) la = kNegInf;
    c.accept(la, swap_);
  }

  // Birth: count + 1; the replay draws the new last component from its prior
  // (its density is in log_fresh). Reverse: death, chosen with the same 1/2.
  void birth(ChainState& c) {
    const int64_t k = l_.k();
    prop_.clear();
    prop_[count_addr(c)] = count_value(c) + 1;
    double la = c.replay(Address{}, &prop_);
    if (!has_k(c, k + 1)) la = kNegInf;
    c.accept(la, birth_);
  }

  // Death: count − 1; the last component is no longer made (its old density
  // is in log_stale). Rejected when K = 1.
  void death(ChainState& c) {
    const int64_t k = l_.k();
    if (k < 2) {
      c.accept(kNegInf, death_);
      return;
    }
    prop_.clear();
    prop_[count_addr(c)] = count_value(c) - 1;
    double la = c.replay(Address{}, &prop_);
    if (!has_k(c, k - 1)) la = kNegInf;
    c.accept(la, death_);
  }

  // Split component j (chosen with probability 1/K) into j and a new last
  // one: (g, mu, u1, u2) → (g1, mu1, g2, mu2) with u1 ~ Beta(2, 2),
  // u2 ~ N(0, 1), g1 = u1 g, g2 = (1 − u1) g, mu1 = mu − u2 τ √(g2/g1),
  // mu2 = mu + u2 τ √(g1/g2); |J| = τ g² / √(g1 g2). Reverse: merge of j with
  // the last, chosen with probability 1/K from K + 1 components.
  void split(ChainState& c) {
    const int64_t k = l_.k();
    const auto j = static_cast<int64_t>(c.rng->below(static_cast<uint64_t>(k)));
    const double g = weight(c, j), mu = mean(c, j);
    const double u1 = beta22(*c.rng), u2 = c.rng->normal();
    const double g1 = u1 * g, g2 = (1 - u1) * g;
    const double mu1 = mu - u2 * kGmmSplitTau * std::sqrt(g2 / g1), mu2 = mu + u2 * kGmmSplitTau * std::sqrt(g1 / g2);
    prop_.clear();
    prop_[count_addr(c)] = count_value(c) + 1;
    prop_[waddr(j)] = rt::from_real(g1);
    prop_[maddr(j)] = rt::from_real(mu1);
    prop_[waddr(k)] = rt::from_real(g2);
    prop_[maddr(k)] = rt::from_real(mu2);
    double la = c.replay(Address{}, &prop_);
    if (la > kNegInf && has_k(c, k + 1)) {
      // The replay's ratio has the joints and the new component's other
      // choices (a per-component scale, say), drawn fresh from their prior;
      // nothing is stale, since the count and the split pair are proposed.
      la += -log_beta22(u1) - log_std_normal(u2) + log_jacobian(g, g1, g2);
    } else {
      la = kNegInf;
    }
    c.accept(la, split_);
  }

  // Merge component j < K−1 (probability 1/(K−1)) with the last one: the
  // inverse of split.
  void merge(ChainState& c) {
    const int64_t k = l_.k();
    if (k < 2) {
      c.accept(kNegInf, merge_);
      return;
    }
    const auto j = static_cast<int64_t>(c.rng->below(static_cast<uint64_t>(k - 1)));
    const double g1 = weight(c, j), g2 = weight(c, k - 1), mu1 = mean(c, j), mu2 = mean(c, k - 1);
    const double g = g1 + g2, mu = (g1 * mu1 + g2 * mu2) / g;
    const double u1 = g1 / g, u2 = (mu2 - mu1) * std::sqrt(g1 * g2) / (kGmmSplitTau * g);
    prop_.clear();
    prop_[count_addr(c)] = count_value(c) - 1;
    prop_[waddr(j)] = rt::from_real(g);
    prop_[maddr(j)] = rt::from_real(mu);
    double la = c.replay(Address{}, &prop_);
    if (la > kNegInf && has_k(c, k - 1) && u1 > 0 && u1 < 1) {
      // The last component's weight and mean are folded into j (the
      // bijection), not destroyed: their old densities leave the replay's
      // stale term. Its other choices are destroyed, and stay there: the
      // reverse split draws them fresh.
      la += -at(c, l_.weight[static_cast<size_t>(k - 1)]).log_density - at(c, l_.mean[static_cast<size_t>(k - 1)]).log_density;
      la += log_beta22(u1) + log_std_normal(u2) - log_jacobian(g, g1, g2);
    } else {
      la = kNegInf;
    }
    c.accept(la, merge_);
  }

  static double beta22(rt::Rng& r) {  // the median of three uniforms is Beta(2, 2)
    double a = r.uniform(), b = r.uniform(), x = r.uniform();
    if (a > b) std::swap(a, b);
    return x < a ? a : x > b ? b : x;
  }
  static double log_beta22(double u) { return std::log(6.0) + std::log(u) + std::log1p(-u); }
  static double log_std_normal(double z) { return -0.5 * z * z - 0.5 * kLogTwoPi; }
  static double log_jacobian(double g, double g1, double g2) {
    return std::log(kGmmSplitTau) + 2 * std::log(g) - 0.5 * (std::log(g1) + std::log(g2));
  }

  Layout l_;
  ValueMap prop_;
  KernelStats swap_, birth_, death_, split_, merge_;
};

}  // namespace

std::unique_ptr<Kernel> make_gmm_rj_kernel() { return std::make_unique<GmmRjKernel>(); }

}  // namespace borel::inference
