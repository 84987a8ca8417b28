// Vi.cpp — see Vi.h.
#include "inference/Vi.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <set>
#include <unordered_map>

#include <gc/gc_allocator.h>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Format.h"
#include "inference/ParetoK.h"
#include "inference/Proposal.h"
#include "inference/Progress.h"
#include "inference/Reparam.h"
#include "inference/Streams.h"
#include "runtime/AdDist.h"
#include "runtime/Estimator.h"
#include "runtime/Sites.h"
#include "runtime/Tape.h"

namespace borel::inference {

namespace ad = rt::ad;
using rt::GradientEstimator;
using rt::Word;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
constexpr const char* kMethod = "vi";

// A choice's key: its name and which occurrence of that name in the run it
// is (a named choice in a loop recurs), so the k-th "x" of the guide is the
// k-th "x" of the model.
using ChoiceKey = int64_t;
ChoiceKey choice_key(rt::SiteId name, int64_t occurrence) { return name * (int64_t{1} << 32) + occurrence; }
rt::SiteId key_name(ChoiceKey k) { return k >> 32; }
int64_t key_occurrence(ChoiceKey k) { return k & 0xFFFFFFFF; }

class Occurrences {
 public:
  ChoiceKey next(rt::SiteId name) {
    // The first few names in a vector (a search of a few words is cheaper
    // than hashing), the rest in a table.
    for (auto& [n, count] : few_)
      if (n == name) return choice_key(name, count++);
    if (few_.size() < kFew && !many_.count(name)) {
      few_.emplace_back(name, 1);
      return choice_key(name, 0);
    }
    return choice_key(name, many_[name]++);
  }
  // Every count back to 0, keeping the table (no allocation in the next run
  // of the same program: a handler's table is reused, ViProblem::Impl).
  void reset() {
    for (auto& [name, count] : few_) count = 0;
    for (auto& [name, count] : many_) count = 0;
  }

 private:
  static constexpr size_t kFew = 8;
  std::vector<std::pair<rt::SiteId, int64_t>> few_;
  std::unordered_map<rt::SiteId, int64_t> many_;
};

// The guide's choices of one run by key, in the order they were made. The
// model takes them mostly in that order, so a lookup tries the position
// after the last one found before searching; a hash table is built only
// when that guess fails (a model that takes them in another order). Keys
// are unique in a run (a key names its occurrence). No allocation once the
// vectors have grown: an unordered_map allocated and freed a node per choice.
class ChoiceIndex {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);
  void clear() {
    keys_.clear();
    if (!table_.empty()) table_.clear();  // (clear() zeroes the buckets even when empty)
    tabled_ = 0;
    next_ = 0;
  }
  void add(ChoiceKey k) { keys_.push_back(k); }
  size_t find(ChoiceKey k) const {
    if (next_ < keys_.size() && keys_[next_] == k) return next_++;
    for (; tabled_ < keys_.size(); ++tabled_) table_.emplace(keys_[tabled_], tabled_);
    auto it = table_.find(k);
    if (it == table_.end()) return npos;
    next_ = it->second + 1;
    return it->second;
  }
  // The keys in the order of the choices (key i's value is a run's values[i]).
  const std::vector<ChoiceKey>& keys() const { return keys_; }

 private:
  std::vector<ChoiceKey> keys_;
  mutable std::unordered_map<ChoiceKey, size_t> table_;  // keys_[0, tabled_) by key
  mutable size_t tabled_ = 0;
  mutable size_t next_ = 0;
};

// Each choice draws from its own stream, keyed by its name and occurrence
// (FNV-1a), so that a rerun with one choice forced draws the others from
// the same noise.
uint64_t name_stream(ChoiceKey k) {
  // The name's hash, per thread (a site's name never changes; looking it up
  // takes the sites' lock and copies the string, at every draw otherwise):
  // the last few names in a ring searched in place, all in a table.
  constexpr int kRecent = 8;
  struct Hashes {
    rt::SiteId name[kRecent] = {-1, -1, -1, -1, -1, -1, -1, -1};
    uint64_t hash[kRecent] = {};
    int next = 0;
    std::unordered_map<rt::SiteId, uint64_t> all;
  };
  thread_local Hashes hashes;
  const rt::SiteId name = key_name(k);
  uint64_t h = 0;
  int i = 0;
  while (i < kRecent && hashes.name[i] != name) ++i;
  if (i < kRecent) {
    h = hashes.hash[i];
  } else {
    auto it = hashes.all.find(name);
    if (it == hashes.all.end()) {
      h = 1469598103934665603ULL;
      for (unsigned char ch : rt::site_name(name)) h = (h ^ ch) * 1099511628211ULL;
      hashes.all.emplace(name, h);
    } else {
      h = it->second;
    }
    hashes.name[hashes.next] = name;
    hashes.hash[hashes.next] = h;
    hashes.next = (hashes.next + 1) % kRecent;
  }
  return (h ^ static_cast<uint64_t>(key_occurrence(k))) * 1099511628211ULL;
}


rt::RuntimeError error(std::string message) { return rt::RuntimeError{"", std::string(kMethod) + ": " + message}; }

std::string choice_label(ChoiceKey k) {
  const int64_t occurrence = key_occurrence(k);
  return "\"" + rt::site_name(key_name(k)) + "\"" + (occurrence ? "[" + std::to_string(occurrence) + "]" : "");
}

const char* kind_name(rt::Kind k) {
  switch (k) {
    case rt::Kind::Real: return "a real";
    case rt::Kind::Int: return "an int";
    case rt::Kind::Bool: return "a bool";
    case rt::Kind::RealArray: return "a [real]";
    case rt::Kind::RealMatrix: return "a [[real]]";
    default: return "a value of another type";
  }
}

// A sum of log-density terms: the value, and the variable terms with their signs.
struct TermSum {
  double total = 0;
  std::vector<Word> words;
  std::vector<double> signs;
  void clear() {
    total = 0;
    words.clear();
    signs.clear();
  }
  void add(Word w, double sign) {
    total += sign * ad::value(w);
    if (ad::is_var(w)) {
      words.push_back(w);
      signs.push_back(sign);
    }
  }
  Word word() const {
    ad::Tape* t = ad::current_tape();
    if (!t || words.empty()) return rt::from_real(total);
    return t->record(total, words.data(), signs.data(), words.size());
  }
};

}  // namespace

// A choice of the guide in the taped run of one particle: what its
// estimator's surrogate term needs (words only: nothing the collector must see).
struct GuideChoice {
  rt::SiteId name;
  GradientEstimator estimator;
  rt::Kind kind;
  Word log_q = 0;                // reinforce
  std::vector<Word> support;     // enumerate: the values...
  std::vector<Word> support_lq;  // ... and log q of each
  Word mvd_a = 0, mvd_b = 0;     // mvd: normal's mu and sigma, or bernoulli's p
  bool mvd_normal = false;
};

struct ViProblem::Impl {
  Impl(rt::Model& g, rt::Model& m, const ViSettings& s, ParamStore& st) : guide(g), model(m), settings(s), store(st) {}

  // Runs a program's twin under `h` on the Ctx of this problem; returns its value.
  Word run_twin(rt::Model& m, rt::Handler& h);

  rt::Model& guide;
  rt::Model& model;
  ViSettings settings;
  ParamStore& store;
  ad::Tape tape;
  Contexts ctx{1};

  // The particle under way.
  struct Run {
    uint64_t seed = 0;
    rt::SiteId forced_name = -1;
    Word forced_value = 0;
    // Every choice forced (scoring the guide at given values, hvi): name -> value.
    const std::unordered_map<rt::SiteId, Word>* forced_all = nullptr;
    bool record_choices = false;
    std::vector<rt::Kind> kinds;  // parallel to values
    std::vector<GuideChoice> choices;
    // Values by name, in collector-scanned memory (arrays may be values).
    ChoiceIndex index;
    std::vector<Word, traceable_allocator<Word>> values;
    TermSum log_q, log_p;
    // As a fresh Run, keeping the containers' memory.
    void reset() {
      seed = 0;
      forced_name = -1;
      forced_value = 0;
      forced_all = nullptr;
      record_choices = false;
      kinds.clear();
      choices.clear();
      index.clear();
      values.clear();
      log_q.clear();
      log_p.clear();
    }
  };
  Run* run = nullptr;

  // Reused from particle to particle (their memory kept: an estimate of a
  // small model would otherwise spend much of its time allocating):
  Occurrences guide_occurrences, model_occurrences;  // the handlers' counts by name
  std::vector<ChoiceKey> model_seen;                  // the guide's choices the model took, in order
  std::vector<Run> runs;                              // estimate's particles
  std::vector<Word> f_words, surrogate_words;
  std::vector<double> f_values, surrogate_partials;
  TermSum f_scratch;

  // Reinforce baselines by choice name, and the signals of the last estimate.
  std::unordered_map<rt::SiteId, double> baselines;
  std::vector<std::pair<rt::SiteId, double>> signals;

  class GuideHandler;
  class ModelHandler;
  class ReverseHandler;

  // log q(z) of the hierarchical family: log (1/(N+1)) sum_i q(z, u_i) / r(u_i | z)
  // over u_0 (drawn with z) and N draws from the reverse program.
  Word log_marginal_q(Run& r, const std::set<rt::SiteId>& model_names);

  // One particle: guide then model, on the current tape if any. Returns f;
  // log_p and log_q (both or neither), when given, get its two terms.
  Word particle(Run& r, Word* guide_value, Word* log_p = nullptr, Word* log_q = nullptr);
  double forced(uint64_t seed, rt::SiteId name, Word value, const std::vector<double>& fs, size_t k);
  double objective_value(const std::vector<double>& fs) const;
  bool importance_weighted() const {
    return settings.objective == ViObjective::Iwelbo || settings.objective == ViObjective::Diwhvi;
  }
  Word objective_word(const std::vector<Word>& fs) const;

  // A user's objective (ViObjective::User).
  bool user() const { return settings.objective == ViObjective::User; }
  class ObjectiveHandler;
  // F(logp, logq) on the current tape if any.
  Word call_user(const std::vector<Word>& log_p, const std::vector<Word>& log_q);
  // The last estimate's log p_k and log q_k values, for O[x_j := v]'s reruns.
  std::vector<double> log_ps, log_qs;
};

// A user's objective is a function of the particles' log densities: it has
// no effects of its own.
class ViProblem::Impl::ObjectiveHandler final : public rt::Handler {
 public:
  Word sample(rt::Ctx&, const rt::Dist&, rt::SiteId) override { throw refuse("sample"); }
  void observe(rt::Ctx&, const rt::Dist&, Word, rt::SiteId) override { throw refuse("observe"); }
  void factor(rt::Ctx&, double, rt::SiteId) override { throw refuse("factor"); }

 private:
  static rt::RuntimeError refuse(const char* what) {
    return error(std::string("the objective function cannot ") + what +
                 ": it is a function of the particles' log densities logp and logq only");
  }
};

class ViProblem::Impl::GuideHandler final : public rt::Handler {
 public:
  explicit GuideHandler(Impl& p) : p_(p), occurrences_(p.guide_occurrences) { occurrences_.reset(); }

  Word sample(rt::Ctx& ctx, const rt::Dist& marked, rt::SiteId) override {
    Run& r = *p_.run;
    if (ctx.address < 0)
      throw error("a guide's choices must be named, sample(d, \"name\"): the model's choice of that name takes its value");
    const ChoiceKey name = occurrences_.next(ctx.address);
    const rt::Dist& d = rt::unwrap_estimator(marked);
    GuideChoice c;
    c.name = name;
    c.kind = d.ops->value_kind;
    c.estimator = rt::estimator_of(marked);
    const bool reparam = has_reparam_sampler(d);
    if (c.estimator == GradientEstimator::Default)
      c.estimator = reparam ? GradientEstimator::Reparam : GradientEstimator::Reinforce;
    if (c.estimator == GradientEstimator::Reparam && !reparam)
      throw error(std::string("estimator \"reparam\": ") + d.ops->name +
                  " has no reparameterised sampler (normal, lognormal, uniform, exponential, cauchy, laplace, "
                  "half_normal, half_cauchy have one); use \"reinforce\"" +
                  (ad::support_of(d) == rt::Support::Discrete ? " or \"enumerate\"" : ""));
    rt::Rng rng(r.seed, name_stream(name));
    Word x = 0;
    if (r.forced_all) {
      auto f = r.forced_all->find(name);
      if (f == r.forced_all->end())
        throw error("the reverse program does not propose the guide's choice " + choice_label(name) +
                    ": it must propose every auxiliary choice (those the model does not make)");
      x = f->second;
    } else if (name == r.forced_name) {
      x = r.forced_value;
    } else if (c.estimator == GradientEstimator::Reparam) {
      reparam_sample(d, rng, x);
    } else {
      const rt::Dist pd = ad::plain(d);
      x = pd.ops->sample(pd, rng);
    }
    const Word lq = ad::log_density(d, x);
    r.log_q.add(lq, 1.0);
    if (r.record_choices && name != r.forced_name && !r.forced_all) describe(c, d, lq);
    r.index.add(name);
    r.values.push_back(x);
    r.kinds.push_back(c.kind);
    if (r.record_choices) r.choices.push_back(std::move(c));
    return x;
  }

  void observe(rt::Ctx&, const rt::Dist&, Word, rt::SiteId) override {
    throw error("a guide cannot observe: it only proposes values for the model's choices");
  }
  void factor(rt::Ctx&, double, rt::SiteId) override {
    throw error("a guide cannot factor: it only proposes values for the model's choices");
  }

 private:
  // What the choice's estimator needs from this run.
  void describe(GuideChoice& c, const rt::Dist& d, Word lq) {
    switch (c.estimator) {
      case GradientEstimator::Default:
      case GradientEstimator::Reparam: return;
      case GradientEstimator::Reinforce: c.log_q = lq; return;
      case GradientEstimator::Enumerate:
        if (!finite_support(d, c.support))
          throw error(std::string("estimator \"enumerate\": ") + d.ops->name +
                      " has no small finite support (bernoulli, categorical, discrete_uniform and binomial with at "
                      "most 1000 values have one)");
        for (Word v : c.support) c.support_lq.push_back(ad::log_density(d, v));
        return;
      case GradientEstimator::MeasureValued:
        if (std::string_view(d.ops->name) == "normal") {
          c.mvd_normal = true;
          c.mvd_a = rt::from_real(d.p[0]);
          c.mvd_b = rt::from_real(d.p[1]);
        } else if (std::string_view(d.ops->name) == "bernoulli") {
          c.mvd_a = rt::from_real(d.p[0]);
        } else {
          throw error(std::string("estimator \"mvd\": measure-valued derivatives are implemented for normal and "
                                  "bernoulli, not ") + d.ops->name);
        }
        return;
    }
  }

  Impl& p_;
  Occurrences& occurrences_;
};

class ViProblem::Impl::ModelHandler final : public rt::Handler {
 public:
  // Normal observes are done inline by the twin (GradientAbi.cpp), which falls
  // back to observe() below for anything unusual (a zero density included).
  explicit ModelHandler(Impl& p) : p_(p), occurrences_(p.model_occurrences), seen_(p.model_seen) {
    inline_effects = rt::kInlineObserve;
    occurrences_.reset();
    seen_.clear();
  }

  Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId) override {
    Run& r = *p_.run;
    if (ctx.address < 0)
      throw error("the model's choice is not named: vi gives the model's choices the values of the guide's "
                  "choices of the same names, sample(d, \"name\")");
    const ChoiceKey name = occurrences_.next(ctx.address);
    const size_t at = r.index.find(name);
    if (at == ChoiceIndex::npos) throw error("the guide makes no choice named " + choice_label(name));
    seen_.push_back(name);
    const rt::Kind want = rt::unwrap_estimator(d).ops->value_kind, have = r.kinds[at];
    if (want != have && want != rt::Kind::Any && have != rt::Kind::Any)
      throw error("the guide's choice " + choice_label(name) + " is " + kind_name(have) + " but the model's is " +
                  kind_name(want));
    const Word x = r.values[at];
    const Word lp = ad::log_density(d, x);
    if (!(ad::value(lp) > kNegInf))
      throw error("the guide's value for " + choice_label(name) +
                  " is outside the model's support (the objective would be -infinity): the guide must only "
                  "propose values the model allows");
    r.log_p.add(lp, 1.0);
    return x;
  }

  void observe(rt::Ctx&, const rt::Dist& d, Word v, rt::SiteId) override {
    const Word lp = ad::log_density(d, v);
    if (!(ad::value(lp) > kNegInf))
      throw error("this observation has zero density at the guide's draw (the objective would be -infinity)");
    p_.run->log_p.add(lp, 1.0);
  }

  void factor(rt::Ctx&, double log_w, rt::SiteId) override {
    const Word w = rt::from_real(log_w);  // a twin passes the word's bits (GradientAbi.cpp)
    if (!(ad::value(w) > kNegInf)) throw error("factor(-infinity) at the guide's draw (the objective would be -infinity)");
    p_.run->log_p.add(w, 1.0);
  }

  // The guide's choices the model took (each once: a choice's key names its occurrence).
  size_t seen_count() const { return seen_.size(); }
  std::set<rt::SiteId> seen() const { return std::set<rt::SiteId>(seen_.begin(), seen_.end()); }

 private:
  Impl& p_;
  Occurrences& occurrences_;
  std::vector<ChoiceKey>& seen_;
};

// The reverse program r(u | z) of the hierarchical objectives: it reads the
// guide's model choices z (trace_real) and proposes the auxiliary ones u,
// scoring given values (u_0) or drawing reparameterised ones.
class ViProblem::Impl::ReverseHandler final : public rt::Handler {
 public:
  ReverseHandler(const std::set<rt::SiteId>& aux, const std::unordered_map<rt::SiteId, Word>* score, uint64_t seed)
      : aux_(aux), score_(score), seed_(seed) {}

  Word sample(rt::Ctx& ctx, const rt::Dist& marked, rt::SiteId) override {
    if (ctx.address < 0) throw error("a reverse program's choices must be named after the guide's auxiliary choices");
    const ChoiceKey name = occurrences_.next(ctx.address);
    if (!aux_.count(name))
      throw error("the reverse program's choice " + choice_label(name) +
                  " is not an auxiliary choice of the guide (one the guide makes and the model does not)");
    const rt::Dist& d = rt::unwrap_estimator(marked);
    Word x = 0;
    if (score_) {
      x = score_->at(name);
    } else {
      rt::Rng rng(seed_, name_stream(name));
      if (!reparam_sample(d, rng, x))
        throw error(std::string("the reverse program's choices need reparameterised samplers (normal, lognormal, "
                                "uniform, ...); ") + d.ops->name + " has none");
    }
    log_r.add(ad::log_density(d, x), 1.0);
    values.emplace(name, x);
    return x;
  }
  void observe(rt::Ctx&, const rt::Dist&, Word, rt::SiteId) override { throw error("a reverse program cannot observe"); }
  void factor(rt::Ctx&, double, rt::SiteId) override { throw error("a reverse program cannot factor"); }

  std::unordered_map<rt::SiteId, Word> values;
  TermSum log_r;

 private:
  const std::set<rt::SiteId>& aux_;
  const std::unordered_map<rt::SiteId, Word>* score_;
  uint64_t seed_;
  Occurrences occurrences_;
};

namespace {

// The guide's model choices, for trace_real in a reverse program.
class GuideValues final : public NamedValues {
 public:
  GuideValues(const ChoiceIndex& index, const std::vector<Word, traceable_allocator<Word>>& values,
              const std::vector<rt::Kind>& kinds, const std::set<rt::SiteId>& visible)
      : index_(index), values_(values), kinds_(kinds), visible_(visible) {}
  bool find(rt::SiteId name, Word& v, rt::Kind& kind) const override {
    // trace_real("mu") reads the first "mu".
    const ChoiceKey key = choice_key(name, 0);
    const size_t at = index_.find(key);
    if (at == ChoiceIndex::npos || !visible_.count(key)) return false;
    v = values_[at];
    kind = kinds_[at];
    return true;
  }

 private:
  const ChoiceIndex& index_;
  const std::vector<Word, traceable_allocator<Word>>& values_;
  const std::vector<rt::Kind>& kinds_;
  const std::set<rt::SiteId>& visible_;
};

// log (1/n) sum exp(w_i) on the tape.
Word log_mean_exp_word(const std::vector<Word>& ws) {
  std::vector<double> values, partials(ws.size());
  for (Word w : ws) values.push_back(ad::value(w));
  const double o = log_mean_exp(values.data(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < ws.size(); ++i) partials[i] = std::exp(values[i] - o) / static_cast<double>(ws.size());
  ad::Tape* t = ad::current_tape();
  if (!t) return rt::from_real(o);
  return t->record(o, ws.data(), partials.data(), ws.size());
}

}  // namespace

Word ViProblem::Impl::run_twin(rt::Model& m, rt::Handler& h) {
  static const rt::Rng fresh;  // (seeded once: a copy is cheaper than seeding)
  rt::Rng unused = fresh;      // every draw is the handlers'
  rt::Ctx& c = ctx[0];
  c.handler = &h;
  c.rng = &unused;
  c.log_weight = 0;
  c.suspend_requested = false;
  rt::Step step;
  try {
    step = m.start_twin(c);
  } catch (...) {
    c.handler = nullptr;
    throw;
  }
  c.handler = nullptr;
  return step.value;
}

Word ViProblem::Impl::log_marginal_q(Run& r, const std::set<rt::SiteId>& model_names) {
  std::set<rt::SiteId> aux;
  std::unordered_map<rt::SiteId, Word> u0, z;
  for (size_t i = 0; i < r.index.keys().size(); ++i) {
    const ChoiceKey name = r.index.keys()[i];
    if (model_names.count(name)) z.emplace(name, r.values[i]);
    else {
      aux.insert(name);
      u0.emplace(name, r.values[i]);
    }
  }
  if (aux.empty())
    throw error("the hierarchical objectives need a guide with auxiliary choices (choices the model does not make); "
                "this guide has none: use elbo or iwelbo");
  GuideValues visible(r.index, r.values, r.kinds, model_names);
  NamedValuesScope reads(&visible);
  auto reverse = [&](const std::unordered_map<rt::SiteId, Word>* score, uint64_t seed) {
    ReverseHandler h(aux, score, seed);
    run_twin(*settings.reverse, h);
    if (h.values.size() != aux.size())
      for (rt::SiteId name : aux)
        if (!h.values.count(name))
          throw error("the reverse program does not propose the guide's auxiliary choice " + choice_label(name));
    return h;
  };
  std::vector<Word> w;
  {
    const ReverseHandler h0 = reverse(&u0, 0);
    TermSum t = r.log_q;
    for (size_t i = 0; i < h0.log_r.words.size(); ++i) t.add(h0.log_r.words[i], -h0.log_r.signs[i]);
    t.total = r.log_q.total - h0.log_r.total;
    w.push_back(t.word());
  }
  for (int i = 1; i <= settings.inner; ++i) {
    const ReverseHandler hi = reverse(nullptr, rt::Rng(r.seed, 0x5eed0000ULL + static_cast<uint64_t>(i)).next_u64());
    std::unordered_map<rt::SiteId, Word> all = z;
    for (const auto& [name, v] : hi.values) all.emplace(name, v);
    Run score;
    score.forced_all = &all;
    Run* outer = run;
    run = &score;
    GuideHandler gh(*this);
    run_twin(guide, gh);
    run = outer;
    TermSum t = score.log_q;
    for (size_t k = 0; k < hi.log_r.words.size(); ++k) t.add(hi.log_r.words[k], -hi.log_r.signs[k]);
    t.total = score.log_q.total - hi.log_r.total;
    w.push_back(t.word());
  }
  return log_mean_exp_word(w);
}

Word ViProblem::Impl::particle(Run& r, Word* guide_value, Word* log_p, Word* log_q) {
  run = &r;
  struct Clear {
    Run*& run;
    ~Clear() { run = nullptr; }
  } clear{run};
  {
    GuideHandler gh(*this);
    const Word v = run_twin(guide, gh);
    if (guide_value) *guide_value = v;
  }
  ModelHandler mh(*this);
  run_twin(model, mh);
  // The observes the twin did inline (normal): their values in log_weight, their terms on the tape.
  r.log_p.total += ctx[0].log_weight;
  if (ad::Tape* t = ad::current_tape()) t->take_terms(r.log_p.words, r.log_p.signs);
  if (settings.reverse) {
    const Word lq = log_marginal_q(r, mh.seen());
    run = &r;
    if (log_p) {
      *log_p = r.log_p.word();
      *log_q = lq;
    }
    TermSum f = r.log_p;
    f.add(lq, -1.0);
    return f.word();
  }
  if (mh.seen_count() != r.values.size())
    for (ChoiceKey name : r.index.keys())
      if (!mh.seen().count(name)) {
        throw error("the guide's choice " + choice_label(name) +
                    " is not a choice of the model: every choice of the guide must be one of the model's (or use "
                    "hvi, iwhvi, diwhvi or hierarchical_objective with a reverse program for auxiliary choices)");
      }
  if (log_p) {
    *log_p = r.log_p.word();
    *log_q = r.log_q.word();
  }
  TermSum& f = f_scratch;  // (a copy of log p's terms, its memory kept across steps)
  f = r.log_p;
  for (size_t i = 0; i < r.log_q.words.size(); ++i) f.add(r.log_q.words[i], -r.log_q.signs[i]);
  f.total = r.log_p.total - r.log_q.total;
  return f.word();
}

double ViProblem::Impl::objective_value(const std::vector<double>& fs) const {
  const auto k = static_cast<int64_t>(fs.size());
  if (importance_weighted()) return log_mean_exp(fs.data(), k);
  double s = 0;
  for (double f : fs) s += f;
  return s / static_cast<double>(k);
}

Word ViProblem::Impl::objective_word(const std::vector<Word>& fs) const {
  if (importance_weighted()) return log_mean_exp_word(fs);
  // One particle: O = f / 1 = f, and a node of partial 1 would pass f's adjoint on unchanged.
  if (fs.size() == 1) return fs[0];
  const double k = static_cast<double>(fs.size());
  thread_local std::vector<double> values, partials;  // (scratch: this runs at every step)
  values.clear();
  for (Word f : fs) values.push_back(ad::value(f));
  partials.assign(fs.size(), 1.0 / k);
  ad::Tape* t = ad::current_tape();
  if (!t) return rt::from_real(objective_value(values));
  return t->record(objective_value(values), fs.data(), partials.data(), fs.size());
}

namespace {

std::string real_list(const std::vector<double>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size() && i < 8; ++i) out += (i ? ", " : "") + fmt("%.6g", xs[i]);
  return out + (xs.size() > 8 ? ", ...]" : "]");
}

}  // namespace

Word ViProblem::Impl::call_user(const std::vector<Word>& log_p, const std::vector<Word>& log_q) {
  const auto n = static_cast<int64_t>(log_p.size());
  rt::Array* lp = rt::array_new_atomic(n);
  rt::Array* lq = rt::array_new_atomic(n);
  for (int64_t i = 0; i < n; ++i) {
    lp->data[i] = log_p[static_cast<size_t>(i)];
    lq->data[i] = log_q[static_cast<size_t>(i)];
  }
  ObjectiveHandler h;
  rt::Rng unused;
  rt::Ctx& c = ctx[0];
  c.handler = &h;
  c.rng = &unused;
  c.log_weight = 0;
  c.suspend_requested = false;
  Word o = 0;
  try {
    o = settings.user(c, rt::from_ptr(lp), rt::from_ptr(lq));
  } catch (...) {
    c.handler = nullptr;
    throw;
  }
  c.handler = nullptr;
  const double v = ad::value(o);
  if (!std::isfinite(v)) {
    std::vector<double> p, q;
    for (size_t i = 0; i < log_p.size(); ++i) {
      p.push_back(ad::value(log_p[i]));
      q.push_back(ad::value(log_q[i]));
    }
    throw error(std::string("the objective function returned ") + (std::isnan(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity") + " at logp = " + real_list(p) +
                ", logq = " + real_list(q) + ": it must return a finite real");
  }
  return o;
}

// O with particle k's log weight replaced by that of a rerun with `name` forced to `value`.
double ViProblem::Impl::forced(uint64_t seed, rt::SiteId name, Word value, const std::vector<double>& fs, size_t k) {
  Run r;
  r.seed = seed;
  r.forced_name = name;
  r.forced_value = value;
  ad::TapeScope untaped(nullptr);
  store.set_plain(true);
  Word lp = 0, lq = 0;
  const double f = ad::value(user() ? particle(r, nullptr, &lp, &lq) : particle(r, nullptr));
  store.set_plain(false);
  if (user()) {
    std::vector<Word> ps, qs;
    for (size_t i = 0; i < log_ps.size(); ++i) {
      ps.push_back(i == k ? lp : rt::from_real(log_ps[i]));
      qs.push_back(i == k ? lq : rt::from_real(log_qs[i]));
    }
    return ad::value(call_user(ps, qs));
  }
  std::vector<double> g = fs;
  g[k] = f;
  return objective_value(g);
}

ViProblem::ViProblem(rt::Model& guide, rt::Model& model, const ViSettings& settings)
    : impl_(new Impl(guide, model, settings, store_)) {}

ViProblem::~ViProblem() { delete impl_; }

double ViProblem::estimate(uint64_t seed, std::vector<double>& grad) {
  Impl& p = *impl_;
  const size_t K = static_cast<size_t>(p.settings.particles);
  p.tape.clear();
  ad::TapeScope scope(&p.tape);
  rt::ParamScope params(&store_);
  store_.begin_evaluation(&p.tape);
  std::vector<Impl::Run>& runs = p.runs;
  runs.resize(K);
  std::vector<Word>& f_words = p.f_words;
  f_words.assign(K, 0);
  std::vector<double>& fs = p.f_values;
  fs.assign(K, 0.0);
  std::vector<Word> lp_words, lq_words;
  const bool user = p.user();
  if (user) {
    lp_words.assign(K, 0);
    lq_words.assign(K, 0);
  }
  p.log_ps.assign(user ? K : 0, 0.0);
  p.log_qs.assign(user ? K : 0, 0.0);
  for (size_t k = 0; k < K; ++k) {
    runs[k].reset();
    runs[k].seed = rt::Rng(seed, k).next_u64();
    runs[k].record_choices = true;
    f_words[k] = user ? p.particle(runs[k], nullptr, &lp_words[k], &lq_words[k]) : p.particle(runs[k], nullptr);
    fs[k] = ad::value(f_words[k]);
    if (user) {
      p.log_ps[k] = ad::value(lp_words[k]);
      p.log_qs[k] = ad::value(lq_words[k]);
    }
  }
  const Word o = user ? p.call_user(lp_words, lq_words) : p.objective_word(f_words);
  const double ov = ad::value(o);

  // The surrogate: O plus one term per choice that is not reparameterised.
  std::vector<Word>& words = p.surrogate_words;
  std::vector<double>& partials = p.surrogate_partials;
  words.assign(1, o);
  partials.assign(1, 1.0);
  auto add = [&](Word w, double partial) {
    if (ad::is_var(w) && partial != 0) {
      words.push_back(w);
      partials.push_back(partial);
    }
  };
  p.signals.clear();
  const double two_pi_sqrt = std::sqrt(2 * std::numbers::pi);
  for (size_t k = 0; k < K; ++k) {
    std::optional<rt::Rng> aux;  // the measure-valued couplings' noise (seeded at the first such choice)
    for (const GuideChoice& c : runs[k].choices) {
      switch (c.estimator) {
        case GradientEstimator::Default:
        case GradientEstimator::Reparam: break;
        case GradientEstimator::Reinforce: {
          // Only particle k's term of a mean depends on its choices; any other O, through all of them.
          const double s = p.importance_weighted() || user ? ov : fs[k] / static_cast<double>(K);
          auto b = p.baselines.find(c.name);
          add(c.log_q, s - (b == p.baselines.end() ? 0.0 : b->second));
          p.signals.emplace_back(c.name, s);
          break;
        }
        case GradientEstimator::Enumerate:
          for (size_t i = 0; i < c.support.size(); ++i) {
            const double lq = ad::value(c.support_lq[i]);
            if (!(lq > kNegInf)) continue;  // q(v) = 0 and its derivative through the log is 0 here
            add(c.support_lq[i], std::exp(lq) * p.forced(runs[k].seed, c.name, c.support[i], fs, k));
          }
          break;
        case GradientEstimator::MeasureValued:
          if (!aux) aux.emplace(runs[k].seed, 0);
          if (c.mvd_normal) {
            const double mu = ad::value(c.mvd_a), sigma = ad::value(c.mvd_b);
            const double r = std::sqrt(-2 * std::log(aux->uniform()));  // Rayleigh(1)
            const double g1 = aux->normal(), g2 = aux->normal(), g3 = aux->normal();
            const double m = std::sqrt(g1 * g1 + g2 * g2 + g3 * g3) * (aux->uniform() < 0.5 ? -1 : 1);  // Maxwell
            const double up = p.forced(runs[k].seed, c.name, rt::from_real(mu + sigma * r), fs, k);
            const double down = p.forced(runs[k].seed, c.name, rt::from_real(mu - sigma * r), fs, k);
            const double maxwell = p.forced(runs[k].seed, c.name, rt::from_real(mu + sigma * m), fs, k);
            add(c.mvd_a, (up - down) / (sigma * two_pi_sqrt));
            add(c.mvd_b, (maxwell - ov) / sigma);
          } else {
            add(c.mvd_a, p.forced(runs[k].seed, c.name, Word{1}, fs, k) - p.forced(runs[k].seed, c.name, Word{0}, fs, k));
          }
          break;
      }
    }
  }
  // The surrogate's value is never read: only its gradient. (O alone: the
  // sweep from O itself, the same adjoints as through a node of partial 1.)
  p.tape.backward(words.size() == 1 ? o : p.tape.record(ov, words.data(), partials.data(), words.size()));
  store_.gradient(grad);
  return ov;
}

void ViProblem::update_baselines() {
  Impl& p = *impl_;
  const double a = p.settings.baseline_decay;
  // Several signals at one name (K particles): their mean.
  std::unordered_map<rt::SiteId, std::pair<double, int>> mean;
  for (const auto& [name, s] : p.signals) {
    auto& m = mean[name];
    m.first += s;
    m.second += 1;
  }
  for (const auto& [name, m] : mean) {
    const double s = m.first / m.second;
    auto it = p.baselines.find(name);
    if (it == p.baselines.end()) p.baselines.emplace(name, s);
    else it->second = a * it->second + (1 - a) * s;
  }
}

double ViProblem::draw(uint64_t seed, Word& guide_value) {
  Impl& p = *impl_;
  ad::TapeScope untaped(nullptr);
  rt::ParamScope params(&store_);
  store_.begin_evaluation(nullptr);
  Impl::Run r;
  r.seed = seed;
  return ad::value(p.particle(r, &guide_value));
}

ViResult vi_fit(rt::Model& guide, rt::Model& model, const ViSettings& s, uint64_t seed) {
  require_at_least(kMethod, "the objective's particles", s.particles, 1);
  require_at_least(kMethod, "iterations", s.iterations, 1);
  require_at_least(kMethod, "samples", s.output_draws, 1);
  require_at_least(kMethod, "inner", s.inner, 0);
  if (!(s.baseline_decay >= 0 && s.baseline_decay < 1))
    throw method_error(kMethod, "baseline_decay is " + fmt("%g", s.baseline_decay) + ", but must be in [0, 1)");
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  ViProblem problem(guide, model, s);
  ViResult result;
  std::vector<double> grad, u;
  Progress progress(kMethod, s.progress);
  std::unique_ptr<Optimiser> opt;
  // Polyak–Ruppert: the answer is the mean of the last quarter's iterates.
  const int average_from = s.average_iterates ? s.iterations - std::max(1, s.iterations / 4) : s.iterations - 1;
  std::vector<double> avg_sum;
  std::vector<int> avg_count;
  for (int it = 0; it < s.iterations; ++it) {
    const double o = problem.estimate(rt::Rng(seed, 1 + static_cast<uint64_t>(it)).next_u64(), grad);
    std::vector<ParamStore::Param>& ps = problem.store().params();
    if (ps.empty()) throw method_error(kMethod, "the guide has no parameters: nothing to fit (declare them with param(name, init))");
    if (!opt) opt = std::make_unique<Optimiser>(s.optimiser, ps.size(), s.step_size, s.decay);
    opt->grow(ps.size());
    u.resize(ps.size());
    for (size_t i = 0; i < ps.size(); ++i) u[i] = ps[i].u;
    for (double g : grad)
      if (!std::isfinite(g))
        throw method_error(kMethod, "the gradient estimate is not finite at iteration " + std::to_string(it + 1) +
                                        " (objective " + fmt("%g", o) + "): lower step_size, or initialise the guide nearer the posterior");
    opt->step(u, grad);
    for (size_t i = 0; i < ps.size(); ++i) ps[i].u = u[i];
    problem.update_baselines();
    result.objective_trace.push_back(o);
    if (it >= average_from) {
      avg_sum.resize(ps.size(), 0.0);
      avg_count.resize(ps.size(), 0);
      for (size_t i = 0; i < ps.size(); ++i) {
        avg_sum[i] += ps[i].u;
        ++avg_count[i];
      }
    }
    if ((it + 1) % 100 == 0) progress.update_iterations(it + 1, s.iterations);
  }
  for (size_t i = 0; i < avg_sum.size(); ++i)
    if (avg_count[i] > 0) problem.store().params()[i].u = avg_sum[i] / avg_count[i];
  result.params = problem.store().params();

  const int64_t n = s.output_draws;
  result.draws = Population(n);
  result.log_weights.resize(static_cast<size_t>(n));
  for (int64_t d = 0; d < n; ++d) {
    Word v = 0;
    result.log_weights[static_cast<size_t>(d)] = problem.draw(particle_stream(seed, d).next_u64(), v);
    result.draws.slots()[d] = v;
    result.draws.status()[d] = Status::Done;
  }
  double sum = 0, sq = 0;
  for (double w : result.log_weights) sum += w;
  result.elbo = sum / static_cast<double>(n);
  for (double w : result.log_weights) sq += (w - result.elbo) * (w - result.elbo);
  result.elbo_se = n > 1 ? std::sqrt(sq / static_cast<double>(n - 1) / static_cast<double>(n)) : 0.0;
  result.log_evidence = log_mean_exp(result.log_weights.data(), n);
  result.pareto_k = pareto_k(result.log_weights);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace borel::inference
