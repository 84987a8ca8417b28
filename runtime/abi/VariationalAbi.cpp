// VariationalAbi.cpp — the runtime functions of programmable variational
// inference (inference/Vi.h): `param`, `estimator`, `vi`, `param_value`.
//
// A user's objective `objective(f, particles = K)` is f's twin, called by
// vi with the particles' log densities (abi::call_twin).
//
// `param` is the same function in a program and in its differentiating
// twin: the installed ParamSource (runtime/Params.h) decides whether the
// value is a tape variable. `vi` fits the guide and returns the fitted guide
// (inference/FittedGuide.h); its seed is a draw from the caller's stream,
// as for `infer`, so the whole run stays a function of the program's seed.
#include <memory>
#include <string>

#include "compiler/Methods.h"
#include "runtime/abi/RuntimeAbi.h"
#include "inference/Diagnostics.h"
#include "inference/Empirical.h"
#include "inference/Errors.h"
#include "inference/FittedGuide.h"
#include "inference/Format.h"
#include "inference/Vi.h"
#include "runtime/Estimator.h"
#include "runtime/Params.h"
#include "runtime/Tape.h"

using borel::rt::Ctx;
using borel::rt::Word;
namespace rt = borel::rt;
namespace inf = borel::inference;
namespace abi = borel::abi;

namespace {

std::string str(Word w) { return std::string(rt::view(rt::to_ptr<rt::String>(w))); }


Word param(int64_t site, Word name, Word init, rt::ParamConstraint c) {
  return abi::located(site, [&] {
    const std::string_view n = rt::view(rt::to_ptr<rt::String>(name));
    const double x = rt::ad::value(init);
    if (rt::ParamSource* s = rt::current_param_source()) return s->param_at(site, n, x, c);
    rt::check_init(std::string(n), x, c);
    return rt::from_real(x);
  });
}

// The settings of the objective and optimiser values, as vi runs them.
inf::ViSettings settings(const borel::MethodOptions& objective, const borel::MethodOptions& optimiser) {
  inf::ViSettings s;
  auto narrow = [](int64_t v) { return static_cast<int>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); };
  const std::string& o = objective.name;
  s.objective = o == "elbo" ? inf::ViObjective::Elbo
                : o == "iwelbo" ? inf::ViObjective::Iwelbo
                : o == "diwhvi" ? inf::ViObjective::Diwhvi
                : o == "objective" || o == "hierarchical_objective" ? inf::ViObjective::User
                                : inf::ViObjective::Hvi;
  if (s.objective == inf::ViObjective::User) {
    // The closure stays alive with the objective value (collector-scanned), which vi holds.
    const Word f = objective.closures.at("f");
    s.user = [f](Ctx& ctx, Word logp, Word logq) {
      const Word args[] = {logp, logq};
      return abi::call_twin(ctx, f, args);
    };
  }
  s.particles = narrow(objective.ints.count("particles") ? objective.get_int("particles")
                       : objective.ints.count("samples") ? objective.get_int("samples")
                                                          : 1);
  if (objective.ints.count("inner")) s.inner = narrow(objective.get_int("inner"));
  s.optimiser = optimiser.name == "adam" ? inf::OptimiserKind::Adam : inf::OptimiserKind::Sgd;
  s.step_size = optimiser.get_real("step_size");
  s.iterations = narrow(optimiser.get_int("iterations"));
  s.decay = optimiser.get_real("decay");
  return s;
}

// The summary's lines about the fit: the parameters and the objective.
std::string fit_notes(const borel::MethodOptions& objective, const inf::ViSettings& s, const inf::ViResult& r) {
  std::string notes = objective.name + "(" + std::to_string(s.particles) +
                      (s.reverse ? ", inner " + std::to_string(s.inner) : std::string()) + ") by " +
                      inf::optimiser_name(s.optimiser) + ", " + std::to_string(s.iterations) + " iterations; ";
  // The objective over the last tenth of the run: its mean is what the fit reached.
  const size_t n = r.objective_trace.size(), tail = std::max<size_t>(1, n / 10);
  double mean = 0;
  for (size_t i = n - tail; i < n; ++i) mean += r.objective_trace[i];
  notes += "objective " + inf::fmt("%.4g", mean / static_cast<double>(tail)) + " (mean of the last " +
           std::to_string(tail) + " steps)\n";
  notes += "ELBO " + inf::fmt("%.4f", r.elbo) + " +- " + inf::fmt("%.4f", r.elbo_se) + ", Pareto k " +
           inf::fmt("%.2f", r.pareto_k) + " (from the draws' importance weights)\n";
  notes += "parameters:";
  for (const auto& p : r.params) notes += " " + p.name + " = " + inf::fmt("%.4g", p.value());
  notes += "\n";
  return notes;
}

}  // namespace

extern "C" {

Word rt_param(Ctx*, int64_t site, Word name, Word init) { return param(site, name, init, rt::ParamConstraint::Real); }
Word rt_param_positive(Ctx*, int64_t site, Word name, Word init) {
  return param(site, name, init, rt::ParamConstraint::Positive);
}
Word rt_param_unit(Ctx*, int64_t site, Word name, Word init) { return param(site, name, init, rt::ParamConstraint::Unit); }

Word rt_estimator(Ctx*, int64_t site, Word d, Word name) {
  return abi::located(site, [&] {
    if (!d) throw rt::RuntimeError{"", "estimator: the distribution is missing"};
    return rt::from_ptr(rt::with_estimator(*rt::to_ptr<const rt::Dist>(d), rt::parse_estimator(str(name))));
  });
}

Word rt_param_value(Ctx*, int64_t site, Word d, Word name) {
  return abi::located(site, [&] { return rt::from_real(inf::fitted_param(*rt::to_ptr<const rt::Dist>(d), str(name))); });
}

Word rt_vi(Ctx* ctx, int64_t site, Word objective, Word guide, Word model, Word optimiser, Word type) {
  return abi::located(site, [&] {
    const auto& obj = *rt::to_ptr<const borel::MethodOptions>(objective);
    const auto& opt = *rt::to_ptr<const borel::MethodOptions>(optimiser);
    inf::ViSettings s = settings(obj, opt);
    s.progress = abi::run_options().progress && !abi::nested(ctx);
    const uint64_t seed = ctx->rng->next_u64();
    auto guide_model = std::make_unique<abi::CompiledModel>(guide);
    abi::CompiledModel target(model);
    std::unique_ptr<abi::CompiledModel> reverse;
    if (obj.closures.count("reverse")) {
      reverse = std::make_unique<abi::CompiledModel>(obj.closures.at("reverse"));
      s.reverse = reverse.get();
    }
    inf::ViResult r = inf::vi_fit(*guide_model, target, s, seed);

    inf::Diagnostics d;
    d.method = "vi";
    d.particles = r.draws.size();
    d.steps = s.iterations;
    d.seconds = r.seconds;
    d.notes = fit_notes(obj, s, r);
    if (r.pareto_k > 0.7)
      d.warnings += "warning: Pareto k = " + inf::fmt("%.2f", r.pareto_k) +
                    " > 0.7: the fitted guide is far from the posterior (its spread and tails are not to be "
                    "trusted); fit longer, use a richer guide, or iwelbo\n";
    const auto* td = rt::to_ptr<const rt::TypeDesc>(type);
    rt::Dist* draws = inf::make_empirical(r.draws, td, d, r.log_evidence);
    auto params = std::make_unique<inf::ParamStore>();
    for (const auto& p : r.params) {
      params->param(p.name, p.value(), p.constraint);
      params->params().back().u = p.u;  // exactly the fitted coordinate
    }
    rt::Dist* q = inf::make_fitted_guide(draws, guide, guide_model.release(), params.release());
    if (!abi::nested(ctx)) abi::record_top_level_result(q, type);  // for borel run --output
    return rt::from_ptr(q);
  });
}

}  // extern "C"

namespace borel::abi {

const std::map<std::string, void*>& variational_symbols() {
#define SYM(name) {#name, reinterpret_cast<void*>(&name)}
  static const std::map<std::string, void*> table = {
      SYM(rt_param), SYM(rt_param_positive), SYM(rt_param_unit), SYM(rt_estimator), SYM(rt_param_value), SYM(rt_vi),
  };
#undef SYM
  return table;
}

}  // namespace borel::abi
