// Builtins.cpp — the builtin table: effects, distributions, methods, runtime
// functions, with their type schemes.
#include "compiler/frontend/Builtins.h"

#include <limits>
#include <unordered_map>

#include "compiler/Methods.h"
#include "runtime/Dist.h"

namespace borel {
namespace {

using TA = TypeArena;
using Maker = std::function<Type*(TypeArena&, int)>;

Builtin make(std::string name, Builtin::Kind kind, Maker type, std::vector<std::string> names = {},
             std::vector<std::optional<DefaultArg>> defaults = {}) {
  Builtin b;
  b.name = std::move(name);
  b.kind = kind;
  b.type = std::move(type);
  b.param_names = std::move(names);
  b.defaults = std::move(defaults);
  if (b.defaults.size() < b.param_names.size()) b.defaults.resize(b.param_names.size());
  return b;
}


Type* kind_type(TA& a, rt::Kind k, Type* any) {
  switch (k) {
    case rt::Kind::Real: return a.real();
    case rt::Kind::Int: return a.integer();
    case rt::Kind::Bool: return a.boolean();
    case rt::Kind::RealArray: return a.array(a.real());
    case rt::Kind::RealMatrix: return a.array(a.array(a.real()));
    case rt::Kind::DistArray: return a.array(a.dist(any));
    case rt::Kind::RealDist: return a.dist(a.real());
    case rt::Kind::Any: return any;
  }
  return any;
}

std::vector<Builtin> build() {
  using K = Builtin::Kind;
  std::vector<Builtin> v;
  auto real_fn1 = [](TA& a, int) { return a.func({a.real()}, a.real()); };
  auto real_fn2 = [](TA& a, int) { return a.func({a.real(), a.real()}, a.real()); };

  // Effects.
  v.push_back(make("sample", K::Effect, [](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({a.dist(t)}, t);
  }));
  v.push_back(make("observe", K::Effect, [](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({a.dist(t), t}, a.unit());
  }));
  v.push_back(make("factor", K::Effect, [](TA& a, int) { return a.func({a.real()}, a.unit()); }));

  // Inference.
  auto method = [](TA& a) { return a.opaque("Method"); };
  for (const MethodSpec& m : method_specs()) {
    std::vector<std::string> names;
    std::vector<std::optional<DefaultArg>> defaults;
    for (const MethodParam& p : m.params) {
      names.push_back(p.name);
      if (p.value.kind == DefaultArg::Kind::Function || p.value.kind == DefaultArg::Kind::ObjectiveFunction)
        defaults.push_back(std::nullopt);
      else defaults.push_back(p.value);
    }
    std::vector<DefaultArg::Kind> kinds;
    for (const MethodParam& p : m.params) kinds.push_back(p.value.kind);
    if (m.category == MethodSpec::Category::Method) {  // objectives and optimisers run on vi's thread
      names.push_back("threads");
      defaults.push_back(DefaultArg{DefaultArg::Kind::Int, 0, 0, {}});
      kinds.push_back(DefaultArg::Kind::Int);
    }
    const char* result_type = category_type(m.category);
    v.push_back(make(
        m.name, K::Method,
        [=](TA& a, int) {
          std::vector<Type*> ps;
          for (auto k : kinds)
            ps.push_back(k == DefaultArg::Kind::Int        ? a.integer()
                         : k == DefaultArg::Kind::Real     ? a.real()
                         : k == DefaultArg::Kind::Bool     ? a.boolean()
                         : k == DefaultArg::Kind::Function ? a.func({}, a.unit())
                         : k == DefaultArg::Kind::ObjectiveFunction
                             ? a.func({a.array(a.real()), a.array(a.real())}, a.real())
                                                           : a.string());
          return a.func(ps, a.opaque(result_type));
        },
        names, defaults));
  }
  // Language models (stdlib/lm): an LM is an opaque value; tokens are ints.
  auto lm = [](TA& a) { return a.opaque("LM"); };
  v.push_back(make("llm", K::Runtime, [=](TA& a, int) { return a.func({a.string()}, lm(a)); }));
  v.push_back(make("tokenize", K::Runtime,
                   [=](TA& a, int) { return a.func({lm(a), a.string()}, a.array(a.integer())); }));
  v.push_back(make("detokenize", K::Runtime,
                   [=](TA& a, int) { return a.func({lm(a), a.array(a.integer())}, a.string()); }));
  v.push_back(make("token_piece", K::Runtime, [=](TA& a, int) { return a.func({lm(a), a.integer()}, a.string()); }));
  v.push_back(make("vocab_size", K::Runtime, [=](TA& a, int) { return a.func({lm(a)}, a.integer()); }));
  v.push_back(make("eos_token", K::Runtime, [=](TA& a, int) { return a.func({lm(a)}, a.integer()); }));
  v.push_back(make("next_token", K::Runtime,
                   [=](TA& a, int) { return a.func({lm(a), a.array(a.integer())}, a.dist(a.integer())); }));
  v.push_back(make("masked", K::Runtime, [](TA& a, int) {
    return a.func({a.dist(a.integer()), a.array(a.integer())}, a.dist(a.integer()));
  }));
  v.push_back(make(
      "tempered", K::Runtime,
      [](TA& a, int) {
        return a.func({a.dist(a.integer()), a.real(), a.integer(), a.real()}, a.dist(a.integer()));
      },
      {"d", "temperature", "top_k", "top_p"},
      {std::nullopt, DefaultArg{DefaultArg::Kind::Real, 0, 1.0, {}}, DefaultArg{DefaultArg::Kind::Int, 0, 0, {}},
       DefaultArg{DefaultArg::Kind::Real, 0, 1.0, {}}}));
  v.push_back(make(
      "generate", K::Runtime,
      [=](TA& a, int) { return a.func({lm(a), a.array(a.integer()), a.integer()}, a.dist(a.array(a.integer()))); },
      {"lm", "prompt", "max_tokens"}, {std::nullopt, std::nullopt, DefaultArg{DefaultArg::Kind::Int, 32, 0, {}}}));
  v.push_back(make("logprob", K::Runtime, [=](TA& a, int) {
    return a.func({lm(a), a.array(a.integer()), a.array(a.integer())}, a.real());
  }));
  v.push_back(make(
      "llm_server", K::Runtime, [=](TA& a, int) { return a.func({a.string(), a.string()}, lm(a)); }, {"url", "model"},
      {std::nullopt, DefaultArg{DefaultArg::Kind::String, 0, 0, ""}}));
  v.push_back(make(
      "generate_text", K::Runtime,
      [=](TA& a, int) { return a.func({lm(a), a.string(), a.integer(), a.string()}, a.dist(a.string())); },
      {"lm", "prompt", "max_tokens", "stop"},
      {std::nullopt, std::nullopt, DefaultArg{DefaultArg::Kind::Int, 32, 0, {}}, DefaultArg{DefaultArg::Kind::String, 0, 0, ""}}));
  v.push_back(make("text_logprob", K::Runtime,
                   [=](TA& a, int) { return a.func({lm(a), a.string(), a.string()}, a.real()); }));
  v.push_back(make(
      "judge", K::Runtime,
      [=](TA& a, int) { return a.func({lm(a), a.string(), a.string(), a.string()}, a.dist(a.boolean())); },
      {"lm", "prompt", "yes", "no"},
      {std::nullopt, std::nullopt, DefaultArg{DefaultArg::Kind::String, 0, 0, " Yes"},
       DefaultArg{DefaultArg::Kind::String, 0, 0, " No"}}));
  // Process rewards from an external server (stdlib/lm/RewardServer.h).
  auto reward = [](TA& a) { return a.opaque("RewardServer"); };
  v.push_back(make("reward_server", K::Runtime, [=](TA& a, int) { return a.func({a.string()}, reward(a)); }));
  v.push_back(make("process_reward", K::Runtime, [=](TA& a, int) {
    return a.func({reward(a), a.string(), a.array(a.string())}, a.dist(a.boolean()));
  }));
  // Regular-expression token masks (stdlib/lm/RegexMask.h): a Regex is an
  // opaque handle holding the compiled pattern and its memoised masks.
  auto regex = [](TA& a) { return a.opaque("Regex"); };
  v.push_back(make("regex", K::Runtime, [=](TA& a, int) { return a.func({a.string()}, regex(a)); }));
  v.push_back(make("regex_allowed", K::Runtime, [=](TA& a, int) {
    return a.func({lm(a), regex(a), a.string()}, a.array(a.integer()));
  }));
  v.push_back(make("regex_match", K::Runtime, [=](TA& a, int) { return a.func({regex(a), a.string()}, a.boolean()); }));
  // Grammar token masks (stdlib/lm/GrammarMask.h): as Regex, for a
  // context-free grammar in a GBNF-like notation.
  auto grammar = [](TA& a) { return a.opaque("Grammar"); };
  v.push_back(make("grammar", K::Runtime, [=](TA& a, int) { return a.func({a.string()}, grammar(a)); }));
  v.push_back(make("grammar_allowed", K::Runtime, [=](TA& a, int) {
    return a.func({lm(a), grammar(a), a.string()}, a.array(a.integer()));
  }));
  v.push_back(make("grammar_match", K::Runtime,
                   [=](TA& a, int) { return a.func({grammar(a), a.string()}, a.boolean()); }));
  // The ids any mask may allow besides EOS (predicate masks: prelude.brl).
  v.push_back(make("text_tokens", K::Runtime, [=](TA& a, int) { return a.func({lm(a)}, a.array(a.integer())); }));
  // Programmable variational inference (inference/Vi.h).
  v.push_back(make("vi", K::Runtime, [](TA& a, int l) {
    Type* g = a.var(l);
    return a.func({a.opaque("Objective"), a.func({}, g), a.func({}, a.var(l)), a.opaque("Optimiser")}, a.dist(g));
  }, {"objective", "guide", "model", "optimiser"}));
  for (const char* p : {"param", "param_positive", "param_unit"})
    v.push_back(make(p, K::Runtime, [](TA& a, int) { return a.func({a.string(), a.real()}, a.real()); },
                     {"name", "init"}));
  v.push_back(make("param_value", K::Runtime,
                   [](TA& a, int l) { return a.func({a.dist(a.var(l)), a.string()}, a.real()); }));
  v.push_back(make("estimator", K::Runtime, [](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({a.dist(t), a.string()}, a.dist(t));
  }));
  v.push_back(make("infer", K::Runtime, [=](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({method(a), a.func({}, t)}, a.dist(t));
  }));
  // Inside a proposal program (mh_proposal): the current trace's named choices.
  v.push_back(make("trace_real", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.real()); }));
  v.push_back(make("trace_int", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.integer()); }));
  v.push_back(make("trace_bool", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.boolean()); }));
  v.push_back(make("log_evidence", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.real()); }));
  v.push_back(make("summary", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.string()); }));
  v.push_back(make("histogram", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.string()); }));
  v.push_back(make("ess", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.real()); }));
  v.push_back(make("samples", K::Runtime, [](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({a.dist(t)}, a.array(t));
  }));
  v.push_back(make("weights", K::Runtime,
                   [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.array(a.real())); }));
  // Moments of a distribution of numbers or bools (NaN when undefined or not scalar).
  v.push_back(make("mean", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.real()); }));
  v.push_back(make("variance", K::Runtime, [](TA& a, int l) { return a.func({a.dist(a.var(l))}, a.real()); }));
  v.push_back(make("log_density", K::Runtime, [](TA& a, int l) {
    Type* t = a.var(l);
    return a.func({a.dist(t), t}, a.real());
  }));

  // Output and data.
  v.push_back(make("print", K::Runtime, [](TA& a, int l) { return a.func({a.var(l)}, a.unit()); }));
  v.push_back(make("to_string", K::Runtime, [](TA& a, int l) { return a.func({a.var(l)}, a.string()); }));
  v.push_back(make("read_json", K::Runtime, [](TA& a, int l) { return a.func({a.string()}, a.var(l)); }));
  v.push_back(make("read_csv", K::Runtime, [](TA& a, int l) { return a.func({a.string()}, a.var(l)); }));
  v.push_back(make("args", K::Runtime, [](TA& a, int) { return a.func({}, a.array(a.string())); }));
  v.push_back(make("parse_real", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.real()); }));
  v.push_back(make("parse_int", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.integer()); }));
  // format_real(x, digits): x with `digits` digits after the point ("3.14").
  v.push_back(make("format_real", K::Runtime,
                   [](TA& a, int) { return a.func({a.real(), a.integer()}, a.string()); }, {"x", "digits"}));
  v.push_back(make("error", K::Runtime, [](TA& a, int l) { return a.func({a.string()}, a.var(l)); }));

  // Numbers. `inf` and `nan` are names, not literals: a program may still
  // bind its own `inf` (a local or top-level name shadows a builtin).
  for (const auto& [n, x] : {std::pair<const char*, double>{"inf", std::numeric_limits<double>::infinity()},
                             std::pair<const char*, double>{"nan", std::numeric_limits<double>::quiet_NaN()}}) {
    Builtin c = make(n, K::Constant, [](TA& a, int) { return a.real(); });
    c.value = x;
    v.push_back(std::move(c));
  }
  for (const char* n : {"exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "atan", "tanh", "floor",
                        "ceil", "round", "lgamma", "digamma", "sigmoid", "logit"})
    v.push_back(make(n, K::Runtime, real_fn1));
  for (const char* n : {"pow", "atan2"}) v.push_back(make(n, K::Runtime, real_fn2));
  for (const char* n : {"abs"})
    v.push_back(make(n, K::Runtime, [](TA& a, int l) {
      Type* t = a.var(l, true);
      return a.func({t}, t);
    }));
  for (const char* n : {"min", "max"})
    v.push_back(make(n, K::Runtime, [](TA& a, int l) {
      Type* t = a.var(l, true);
      return a.func({t, t}, t);
    }));
  v.push_back(make("real", K::Runtime, [](TA& a, int) { return a.func({a.integer()}, a.real()); }));
  v.push_back(make("int", K::Runtime, [](TA& a, int) { return a.func({a.real()}, a.integer()); }));
  v.push_back(make("is_nan", K::Runtime, [](TA& a, int) { return a.func({a.real()}, a.boolean()); }));
  v.push_back(make("logsumexp", K::Runtime, [](TA& a, int) { return a.func({a.array(a.real())}, a.real()); }));
  v.push_back(make("softmax", K::Runtime,
                   [](TA& a, int) { return a.func({a.array(a.real())}, a.array(a.real())); }));
  v.push_back(make("sum", K::Runtime, [](TA& a, int l) {
    Type* t = a.var(l, true);
    return a.func({a.array(t)}, t);
  }));
  v.push_back(make("len", K::Runtime, [](TA& a, int l) { return a.func({a.array(a.var(l))}, a.integer()); }));
  v.push_back(make("str_len", K::Runtime, [](TA& a, int) { return a.func({a.string()}, a.integer()); }));
  v.push_back(make("str_byte", K::Runtime, [](TA& a, int) { return a.func({a.string(), a.integer()}, a.integer()); }));
  v.push_back(make("str_contains", K::Runtime, [](TA& a, int) { return a.func({a.string(), a.string()}, a.boolean()); }));

  // Distributions, from the registry.
  for (int i = 0; i < rt::distribution_count(); ++i) {
    const rt::DistOps* ops = rt::distribution_at(i);
    std::vector<std::string> names;
    for (int k = 0; k < ops->nparams; ++k) names.push_back(ops->param_names[k]);
    Builtin b = make(
        ops->name, K::Dist,
        [ops](TA& a, int l) {
          Type* any = a.var(l);
          std::vector<Type*> ps;
          for (int k = 0; k < ops->nparams; ++k) ps.push_back(kind_type(a, ops->param_kinds[k], any));
          return a.func(ps, a.dist(kind_type(a, ops->value_kind, any)));
        },
        names);
    b.dist = ops;
    v.push_back(std::move(b));
  }
  return v;
}

}  // namespace

const std::vector<Builtin>& all_builtins() {
  static const std::vector<Builtin> table = build();
  return table;
}

const Builtin* find_builtin(const std::string& name) {
  static const std::unordered_map<std::string, const Builtin*> index = [] {
    std::unordered_map<std::string, const Builtin*> m;
    for (const Builtin& b : all_builtins()) m[b.name] = &b;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace borel
