// Methods.cpp — the table of inference methods (see Methods.h).
#include "compiler/Methods.h"

#include <atomic>
#include <memory>

#include "runtime/abi/RuntimeAbi.h"
#include "inference/AdviDriver.h"
#include "inference/Empirical.h"
#include "inference/Errors.h"
#include "inference/Infer.h"
#include "inference/Kernels.h"
#include "inference/NutsDriver.h"
#include "inference/Proposal.h"

namespace borel {
namespace {

DefaultArg i(int64_t v) { return {DefaultArg::Kind::Int, v, 0, {}}; }
DefaultArg r(double v) { return {DefaultArg::Kind::Real, 0, v, {}}; }
DefaultArg s(std::string v) { return {DefaultArg::Kind::String, 0, 0, std::move(v)}; }

// The algorithms of inference/Infer.h, which share one settings struct.
MethodSpec basic(std::string name, std::string summary, std::vector<MethodParam> params) {
  MethodSpec m;
  m.name = name;
  m.summary = std::move(summary);
  m.params = std::move(params);
  m.run = [name](const MethodOptions& o, rt::Model& model, const rt::TypeDesc& type, uint64_t seed, int threads,
                 bool progress) {
    inference::Method method;
    method.name = name;
    if (o.ints.count("particles")) method.particles = o.get_int("particles");
    else if (o.ints.count("samples")) method.particles = o.get_int("samples");
    if (o.ints.count("samples")) method.samples = o.get_int("samples");
    if (o.strings.count("resampling")) method.resampling = o.get_string("resampling");
    if (o.reals.count("ess_threshold")) method.ess_threshold = o.get_real("ess_threshold");
    if (o.ints.count("warmup")) method.warmup = o.get_int("warmup");
    if (o.ints.count("chains")) method.chains = o.get_int("chains");
    if (o.ints.count("thin")) method.thin = o.get_int("thin");
    if (o.ints.count("moves")) method.moves = o.get_int("moves");
    if (o.ints.count("lag")) method.lag = o.get_int("lag");
    if (o.ints.count("inner_particles")) method.inner_particles = o.get_int("inner_particles");
    if (o.ints.count("params")) method.params = o.get_int("params");
    if (o.ints.count("max_executions")) method.max_executions = o.get_int("max_executions");
    if (o.ints.count("max_depth")) method.max_depth = o.get_int("max_depth");
    if (o.strings.count("kernel")) method.kernel = o.get_string("kernel");
    if (o.strings.count("metric")) method.metric = o.get_string("metric");
    method.progress = progress;
    return inference::infer(method, model, type, seed, threads);
  };
  return m;
}

// mh with a proposal written in Borel (inference/Proposal.h): the proposal's
// kernel is registered under a fresh name and run by mh, alone or after the
// kernels named by `kernel` (e.g. "rw").
MethodSpec mh_proposal() {
  MethodSpec m;
  m.name = "mh_proposal";
  m.summary = "Metropolis-Hastings whose moves are proposed by a Borel program reading the current trace";
  m.params = {{"proposal", DefaultArg{DefaultArg::Kind::Function, 0, 0, {}}},
              {"samples", i(1000)}, {"warmup", i(1000)}, {"chains", i(4)}, {"thin", i(1)}, {"kernel", s("")}};
  m.run = [](const MethodOptions& o, rt::Model& model, const rt::TypeDesc& type, uint64_t seed, int threads,
             bool progress) {
    static std::atomic<int64_t> counter{0};
    auto proposal = std::make_shared<abi::CompiledModel>(o.closures.at("proposal"));
    const std::string name = "proposal#" + std::to_string(counter++);
    inference::register_kernel(name, [proposal] { return inference::make_proposal_kernel(*proposal); });
    MethodOptions mh = o;
    mh.name = "mh";
    mh.strings["kernel"] = o.get_string("kernel").empty() ? name : o.get_string("kernel") + "+" + name;
    return find_method("mh")->run(mh, model, type, seed, threads, progress);
  };
  return m;
}

// One of `choices` (name → value), or an error listing them.
template <class T>
T choose(const char* method, const char* param, const std::string& given,
         std::initializer_list<std::pair<const char*, T>> choices) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (given == name) return value;
    names += std::string(names.empty() ? "" : ", ") + "\"" + name + "\"";
  }
  throw inference::method_error(method, std::string(param) + " is \"" + given + "\", but must be one of " + names);
}

// The No-U-Turn sampler on the model's continuous choices (NutsDriver.h).
MethodSpec nuts() {
  MethodSpec m;
  m.name = "nuts";
  m.summary = "the No-U-Turn sampler (Stan's: multinomial, adapted step size and diagonal or dense metric) on the "
              "continuous choices, in unconstrained space, with gradients by reverse-mode AD";
  m.params = {{"samples", i(1000)}, {"warmup", i(1000)},         {"chains", i(4)},
              {"max_depth", i(10)}, {"target_accept", r(0.8)}, {"metric", s("diag")}};
  m.gradients = true;
  m.run = [](const MethodOptions& o, rt::Model& model, const rt::TypeDesc& type, uint64_t seed, int threads,
             bool progress) {
    inference::NutsRunSettings st;
    st.nuts.samples = static_cast<int>(std::clamp<int64_t>(o.get_int("samples"), INT32_MIN, INT32_MAX));
    st.nuts.warmup = static_cast<int>(std::clamp<int64_t>(o.get_int("warmup"), INT32_MIN, INT32_MAX));
    st.nuts.max_depth = static_cast<int>(std::clamp<int64_t>(o.get_int("max_depth"), INT32_MIN, INT32_MAX));
    st.nuts.target_accept = o.get_real("target_accept");
    st.nuts.metric = choose<inference::Metric>("nuts", "metric", o.get_string("metric"),
                                               {{"unit", inference::Metric::Unit},
                                                {"diag", inference::Metric::Diag},
                                                {"dense", inference::Metric::Dense}});
    st.chains = o.get_int("chains");
    st.progress = progress;
    inference::Diagnostics diag;
    inference::Population pop = inference::nuts_run(model, st, seed, threads, &diag);
    return inference::make_empirical(pop, &type, diag, std::numeric_limits<double>::quiet_NaN());
  };
  return m;
}

// Automatic differentiation variational inference (AdviDriver.h).
MethodSpec advi() {
  MethodSpec m;
  m.name = "advi";
  m.summary = "automatic differentiation variational inference: a mean-field or full-rank Gaussian fitted to the "
              "posterior in unconstrained space by stochastic gradient ascent on the ELBO; `samples` draws of it";
  m.params = {{"family", s("meanfield")},  {"samples", i(1000)},     {"max_iterations", i(10000)},
              {"grad_samples", i(1)},      {"elbo_samples", i(100)}, {"eval_elbo", i(100)},
              {"tol_rel_obj", r(0.01)},    {"eta", r(0.0)},          {"optimiser", s("adagrad")},
              {"precondition", s("auto")}};
  m.gradients = true;
  m.run = [](const MethodOptions& o, rt::Model& model, const rt::TypeDesc& type, uint64_t seed, int,
             bool progress) {
    auto as_int = [&](const char* k) { return static_cast<int>(std::clamp<int64_t>(o.get_int(k), INT32_MIN, INT32_MAX)); };
    inference::AdviRunSettings st;
    st.advi.family = choose<inference::AdviFamily>("advi", "family", o.get_string("family"),
                                                   {{"meanfield", inference::AdviFamily::MeanField},
                                                    {"fullrank", inference::AdviFamily::FullRank}});
    st.advi.optimiser = choose<inference::OptimiserKind>("advi", "optimiser", o.get_string("optimiser"),
                                                         {{"adagrad", inference::OptimiserKind::StanAdagrad},
                                                          {"adam", inference::OptimiserKind::Adam},
                                                          {"sgd", inference::OptimiserKind::Sgd}});
    st.advi.output_draws = as_int("samples");
    st.advi.max_iterations = as_int("max_iterations");
    st.advi.grad_samples = as_int("grad_samples");
    st.advi.elbo_samples = as_int("elbo_samples");
    st.advi.eval_elbo = as_int("eval_elbo");
    st.advi.tol_rel_obj = o.get_real("tol_rel_obj");
    st.advi.eta = o.get_real("eta");
    st.advi.precondition = choose<bool>("advi", "precondition", o.get_string("precondition"),
                                        {{"auto", true}, {"none", false}});
    st.progress = progress;
    inference::Diagnostics diag;
    double log_z = 0;
    inference::Population pop = inference::advi_run(model, st, seed, &diag, &log_z);
    return inference::make_empirical(pop, &type, diag, log_z);
  };
  return m;
}

// A variational objective or optimiser for `vi` (inference/Vi.h): a value
// that carries settings, not a method `infer` can run.
MethodSpec vi_part(std::string name, MethodSpec::Category category, std::string summary,
                   std::vector<MethodParam> params) {
  MethodSpec m;
  m.name = name;
  m.category = category;
  m.summary = std::move(summary);
  m.params = std::move(params);
  m.gradients = true;
  m.run = [name](const MethodOptions&, rt::Model&, const rt::TypeDesc&, uint64_t, int, bool) -> rt::Dist* {
    throw inference::method_error(name, "not an inference method: pass it to vi(objective, guide, model, optimiser)");
  };
  return m;
}

std::vector<MethodSpec> build() {
  std::vector<MethodSpec> v;
  v.push_back(basic("smc",
                    "bootstrap particle filter: suspends every particle at each observe/factor, resamples, resumes",
                    {{"particles", i(1000)}, {"resampling", s("systematic")}, {"ess_threshold", r(1.0)}}));
  v.push_back(basic("importance", "likelihood weighting: N independent runs weighted by their likelihood",
                    {{"particles", i(1000)}}));
  v.push_back(basic("prior", "forward sampling: N runs ignoring observations", {{"samples", i(1000)}}));
  v.push_back(basic("mh",
                    "Metropolis-Hastings(-Green) chains over traces: kernel \"rw\" (random walk on reals, prior "
                    "redraws otherwise), \"single\" (single-site from the prior), \"independent\", \"nuts\" "
                    "(NUTS on the continuous choices, the others held), or registered kernels joined by '+' "
                    "(\"nuts+single\"); `metric` (\"unit\", \"diag\", \"dense\") is the nuts kernel's, adapted in "
                    "warm-up",
                    {{"samples", i(1000)}, {"warmup", i(1000)}, {"chains", i(4)}, {"thin", i(1)}, {"kernel", s("rw")},
                     {"metric", s("diag")}}));
  v.push_back(basic("rmsmc",
                    "resample-move SMC: SMC with `moves` MH transitions of `kernel` on every particle after each "
                    "resampling; `lag` > 0 moves only the choices of the last `lag` steps or so, restarting from a "
                    "saved continuation (O(T) instead of O(T^2)); `metric` is the nuts kernel's, estimated from the "
                    "population before each step's moves",
                    {{"particles", i(1000)}, {"moves", i(1)}, {"kernel", s("rw")}, {"resampling", s("systematic")},
                     {"ess_threshold", r(0.5)}, {"lag", i(0)}, {"metric", s("diag")}}));
  v.push_back(basic("pgibbs", "particle Gibbs: conditional SMC sweeps with a reference path",
                    {{"particles", i(100)}, {"samples", i(1000)}, {"warmup", i(100)}, {"chains", i(4)}}));
  v.push_back(basic("pmmh",
                    "particle marginal MH: MH over the parameters (the choices before the first observe, or the "
                    "first `params`) with the SMC evidence of the rest as likelihood",
                    {{"particles", i(100)}, {"samples", i(1000)}, {"warmup", i(200)}, {"chains", i(4)}, {"params", i(0)}}));
  v.push_back(basic("smc2",
                    "SMC^2: SMC over the parameters (as in pmmh), each parameter particle with an inner particle "
                    "filter of `inner_particles`; `moves` PMMH iterations on the parameters after each resampling",
                    {{"particles", i(200)}, {"inner_particles", i(100)}, {"moves", i(1)}, {"params", i(0)},
                     {"resampling", s("systematic")}, {"ess_threshold", r(0.5)}}));
  v.push_back(basic("enumerate", "exact inference by enumerating every execution of a discrete model",
                    {{"max_executions", i(1000000)}, {"max_depth", i(1000)}}));
  v.push_back(mh_proposal());
  v.push_back(nuts());
  v.push_back(advi());
  using C = MethodSpec::Category;
  v.push_back(vi_part("elbo", C::Objective,
                      "the evidence lower bound E_q[log p(x, z) - log q(z)], estimated from `samples` draws of the "
                      "guide per step",
                      {{"samples", i(1)}}));
  v.push_back(vi_part("iwelbo", C::Objective,
                      "the importance-weighted bound E[log (1/K) sum_k p(x, z_k) / q(z_k)] with K = `particles`: "
                      "tighter than elbo, rising to log p(x) as K grows",
                      {{"particles", i(8)}}));
  const DefaultArg fn{DefaultArg::Kind::Function, 0, 0, {}};
  v.push_back(vi_part("hvi", C::Objective,
                      "hierarchical VI: a guide with auxiliary choices u the model does not make, log q(z) bounded "
                      "by log q(z, u) - log r(u | z) with the reverse program r, which reads z with trace_real and "
                      "proposes u",
                      {{"reverse", fn}, {"samples", i(1)}}));
  v.push_back(vi_part("iwhvi", C::Objective,
                      "hvi with log q(z) estimated by importance sampling from r with `inner` draws besides the "
                      "guide's own u: tighter as inner grows",
                      {{"reverse", fn}, {"samples", i(1)}, {"inner", i(4)}}));
  v.push_back(vi_part("diwhvi", C::Objective,
                      "doubly importance-weighted hvi: iwelbo over `particles` outer draws, each with iwhvi's "
                      "inner estimate of log q(z)",
                      {{"reverse", fn}, {"particles", i(8)}, {"inner", i(4)}}));
  v.push_back(vi_part("objective", C::Objective,
                      "a user-written objective: O = f(logp, logq), f a Borel function of the `particles` "
                      "particles' log p(x, z_k) and log q(z_k), differentiated on the tape; the gradient is unbiased "
                      "for E[O] whatever f is",
                      {{"f", DefaultArg{DefaultArg::Kind::ObjectiveFunction, 0, 0, {}}}, {"particles", i(8)}}));
  v.push_back(vi_part("hierarchical_objective", C::Objective,
                      "a user-written objective for a hierarchical guide: as `objective`, with logq[k] iwhvi's "
                      "estimate of log q(z_k) from the reverse program with `inner` draws besides the guide's own u",
                      {{"f", DefaultArg{DefaultArg::Kind::ObjectiveFunction, 0, 0, {}}},
                       {"reverse", fn},
                       {"particles", i(8)},
                       {"inner", i(4)}}));
  v.push_back(vi_part("adam", C::Optimiser,
                      "Adam (Kingma & Ba) for `iterations` steps of size step_size / (1 + decay (k - 1))",
                      {{"step_size", r(0.01)}, {"iterations", i(2000)}, {"decay", r(0.0)}}));
  v.push_back(vi_part("sgd", C::Optimiser,
                      "stochastic gradient ascent for `iterations` steps of size step_size / (1 + decay (k - 1))",
                      {{"step_size", r(0.001)}, {"iterations", i(2000)}, {"decay", r(0.0)}}));
  return v;
}

}  // namespace

const std::vector<MethodSpec>& method_specs() {
  static const std::vector<MethodSpec> table = build();
  return table;
}

const MethodSpec* find_method(const std::string& name) {
  for (const MethodSpec& m : method_specs())
    if (m.name == name) return &m;
  return nullptr;
}

const char* category_type(MethodSpec::Category c) {
  switch (c) {
    case MethodSpec::Category::Method: return "Method";
    case MethodSpec::Category::Objective: return "Objective";
    case MethodSpec::Category::Optimiser: return "Optimiser";
  }
  return "Method";
}

bool method_needs_gradients(const std::string& name) {
  const MethodSpec* m = find_method(name);
  return m && m->gradients;
}

bool kernel_needs_gradients(const std::string& spec) {
  size_t b = 0;
  for (;;) {
    const size_t e = spec.find('+', b);
    if (spec.compare(b, e == std::string::npos ? std::string::npos : e - b, "nuts") == 0) return true;
    if (e == std::string::npos) return false;
    b = e + 1;
  }
}

}  // namespace borel
