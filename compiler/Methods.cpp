// Methods.cpp — the table of inference methods (see Methods.h).
#include "compiler/Methods.h"

#include "inference/Infer.h"

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
    method.particles = o.ints.count("particles") ? o.get_int("particles") : o.get_int("samples");
    if (o.strings.count("resampling")) method.resampling = o.get_string("resampling");
    if (o.reals.count("ess_threshold")) method.ess_threshold = o.get_real("ess_threshold");
    method.progress = progress;
    return inference::infer(method, model, type, seed, threads);
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

}  // namespace borel
