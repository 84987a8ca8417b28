// AdDist.cpp — see AdDist.h.
#include "runtime/AdDist.h"

#include "runtime/Estimator.h"
#include "runtime/ThreadBlock.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/Model.h"
#include "runtime/Tape.h"

namespace borel::rt::ad {

namespace {

Word param_word(const Dist& d, int k) { return from_real(d.p[k]); }
const Array* array_at(const Dist& d, int j) { return to_ptr<const Array>(d.a[j]); }

// Large arrays found free of variables: a model's data (a GLM's predictors
// and observations), passed to a density at every evaluation, need not be
// scanned again. Arrays are immutable, so an array's address identifies its
// contents while it lives; the table keeps its arrays alive (uncollectable
// GC memory, scanned), so no address in it can be reused by another array.
// Per thread, a few entries replaced round-robin.
constexpr int64_t kRememberFrom = 64;  // shorter arrays are cheap to scan
constexpr int kConstantSlots = 8;
struct ConstantArrays {
  Word array[kConstantSlots];
  int next;
};
ConstantArrays& constant_arrays() { return thread_block<ConstantArrays>(); }
bool known_constant(const Array* a) {
  if (a->len < kRememberFrom) return false;
  const ConstantArrays& t = constant_arrays();
  for (Word w : t.array)
    if (w == from_ptr(a)) return true;
  return false;
}
void remember_constant(const Array* a) {
  if (a->len < kRememberFrom) return;
  ConstantArrays& t = constant_arrays();
  t.array[t.next] = from_ptr(a);
  t.next = (t.next + 1) % kConstantSlots;
}

bool array_has_vars(const Array* a) {
  if (!a || known_constant(a)) return false;
  for (int64_t i = 0; i < a->len; ++i)
    if (is_var(a->data[i])) return true;
  remember_constant(a);
  return false;
}
bool matrix_has_vars(const Array* m) {
  if (!m || known_constant(m)) return false;
  for (int64_t i = 0; i < m->len; ++i)
    if (array_has_vars(to_ptr<const Array>(m->data[i]))) return true;
  remember_constant(m);
  return false;
}
// The last array copied by plain_array, with its copy: a twin's effect
// makes the same distribution plain twice (the family's parameter check,
// then the density), and a short array of variables (a regression's beta)
// would be scanned and allocated again. Arrays are immutable and the block
// keeps both alive, so the same address on the same tape epoch (the same
// values for its variables) is the same copy.
struct LastPlainArray {
  Word in, out;
  uint64_t epoch;
};
const Array* plain_array(const Array* a) {
  if (!array_has_vars(a)) return a;
  LastPlainArray& last = thread_block<LastPlainArray>();
  const uint64_t epoch = current_tape()->epoch();  // (a variable implies a tape)
  if (last.in == from_ptr(a) && last.epoch == epoch) return to_ptr<const Array>(last.out);
  Array* r = array_new_atomic(a->len);
  for (int64_t i = 0; i < a->len; ++i) r->data[i] = from_real(value(a->data[i]));
  last = LastPlainArray{from_ptr(a), from_ptr(r), epoch};
  return r;
}
const Array* plain_matrix(const Array* m) {
  if (!matrix_has_vars(m)) return m;
  Array* r = array_new(m->len);
  for (int64_t i = 0; i < m->len; ++i) r->data[i] = from_ptr(plain_array(to_ptr<const Array>(m->data[i])));
  return r;
}

// The array parameters in declaration order, with their kinds.
template <class F>
void for_each_array_param(const Dist& d, F f) {
  int j = 0;
  for (int k = 0; k < d.ops->nparams && j < 2; ++k) {
    const Kind kind = d.ops->param_kinds[k];
    if (kind == Kind::Real || kind == Kind::Int || kind == Kind::Bool) continue;
    f(j, kind);
    ++j;
  }
}

// (The first letter first: this runs at every density of a twin.)
bool is_mixture(const Dist& d) { return d.ops->name[0] == 'm' && std::strcmp(d.ops->name, "mixture") == 0; }

bool scalar_kind(Kind k) { return k == Kind::Real || k == Kind::Int || k == Kind::Bool; }

// Families whose parameters are all scalars (normal, gamma, ...): the hot
// path of a differentiated model, handled without arrays or allocation.
bool scalar_params(const DistOps* ops) {
  for (int k = 0; k < ops->nparams; ++k)
    if (!scalar_kind(ops->param_kinds[k])) return false;
  return true;
}

// A distribution parameter (Kind::RealDist: ordered's base), boxed in a[j].
const Dist* dist_param(const Dist& d, int j) { return to_ptr<const Dist>(d.a[j]); }

// The reals of a value of kind `kind` (a real, an array, rows), in order:
// where a value's partials go (DistOps::log_density_grad's dx).
template <class F>
void for_each_value_real(Kind kind, Word& x, F f) {
  if (kind == Kind::Real) {
    f(x);
  } else if (kind == Kind::RealArray) {
    if (auto* a = to_ptr<Array>(x))
      for (int64_t i = 0; i < a->len; ++i) f(a->data[i]);
  } else if (kind == Kind::RealMatrix) {
    if (auto* m = to_ptr<Array>(x))
      for (int64_t i = 0; i < m->len; ++i)
        if (auto* row = to_ptr<Array>(m->data[i]))
          for (int64_t c = 0; c < row->len; ++c) f(row->data[c]);
  }
}

// d with its first n scalar parameters made plain, written field by field
// into the result: `d` was usually just built by 8-byte stores (a twin's
// rt_ad_* call), and a struct copy's 16-byte loads of it, then of the copy,
// each waited for those stores to retire (a store-forwarding stall, most of
// plain's time in a profile of vi's step).
Dist plain_scalars(const Dist& d, int n) {
  Dist r;
  r.ops = d.ops;
  for (int k = 0; k < 4; ++k) r.p[k] = k < n ? value(param_word(d, k)) : d.p[k];
  // (Two 8-byte loads: the compiler merges them into one 16-byte load, and
  // stalls, unless told the first word is used on its own.)
  Word a0 = d.a[0];
  __asm__("" : "+r"(a0));
  r.a[0] = a0;
  r.a[1] = d.a[1];
  return r;
}

// log d(x) for a family of scalar parameters and a scalar value: one tape
// node whose operands are the variable parameters and x.
Word scalar_log_density(const Dist& d, Word x) {
  const Dist pd = plain_scalars(d, d.ops->nparams);  // (not a struct copy: see plain_scalars)
  bool vars = false;
  for (int k = 0; k < d.ops->nparams; ++k) vars = vars || is_var(param_word(d, k));
  const bool real_value = d.ops->value_kind == Kind::Real;
  const bool x_var = real_value && is_var(x);
  const Word px = x_var ? from_real(value(x)) : x;
  if (!vars && !x_var) return from_real(d.ops->log_density(pd, px));
  if (!d.ops->log_density_grad)
    throw RuntimeError{"", std::string(d.ops->name) + " has no gradient: it cannot depend on a differentiated choice"};
  double dp[4] = {0, 0, 0, 0}, dx = 0;
  const double v = d.ops->log_density_grad(pd, px, dp, real_value ? &dx : nullptr, nullptr);
  if (!std::isfinite(v)) return from_real(v);
  Word operands[5];
  double partials[5];
  size_t n = 0;
  for (int k = 0; k < d.ops->nparams; ++k)
    if (is_var(param_word(d, k))) {
      operands[n] = param_word(d, k);
      partials[n++] = dp[k];
    }
  if (x_var) {
    operands[n] = x;
    partials[n++] = dx;
  }
  return current_tape()->record(v, operands, partials, n);
}
const Dist& component(const Dist& d, int64_t k) { return *to_ptr<const Dist>(array_at(d, 1)->data[k]); }

// log Σ_k w_k p_k(x) with the tape: weights and components may hold variables.
Word mixture_log_density(const Dist& d, Word x) {
  const Array* w = array_at(d, 0);
  const Array* comps = array_at(d, 1);
  const int64_t n = std::min(w ? w->len : 0, comps ? comps->len : 0);
  std::vector<Word> terms(static_cast<size_t>(n));
  double m = -INFINITY;
  for (int64_t k = 0; k < n; ++k) {
    terms[k] = add(log(w->data[k]), log_density(component(d, k), x));
    m = std::max(m, value(terms[k]));
  }
  if (!std::isfinite(m)) return from_real(m);
  // log-sum-exp: m + log Σ exp(t_k − m), with m a constant shift.
  Word s = from_real(0.0);
  for (int64_t k = 0; k < n; ++k) s = add(s, exp(sub(terms[k], from_real(m))));
  return add(from_real(m), log(s));
}

}  // namespace

bool has_vars(const Dist& d) {
  if (d.ops == &estimator_ops) return has_vars(unwrap_estimator(d));
  for (int k = 0; k < 4; ++k)
    if (is_var(param_word(d, k))) return true;
  bool any = false;
  for_each_array_param(d, [&](int j, Kind kind) {
    const Array* a = array_at(d, j);
    if (kind == Kind::RealArray) any = any || array_has_vars(a);
    else if (kind == Kind::RealMatrix) any = any || matrix_has_vars(a);
    else if (kind == Kind::RealDist && dist_param(d, j)) any = any || has_vars(*dist_param(d, j));
    else if (kind == Kind::DistArray && a)
      for (int64_t i = 0; i < a->len; ++i) any = any || has_vars(*to_ptr<const Dist>(a->data[i]));
  });
  return any;
}

Dist plain(const Dist& d) {
  // An estimator mark matters only to a guide being fitted (Estimator.h).
  if (d.ops == &estimator_ops) return plain(unwrap_estimator(d));
  if (scalar_params(d.ops)) return plain_scalars(d, d.ops->nparams);
  // Arrays and matrices without variables come back as they are (the same
  // words), so d without variables comes back as d without asking first,
  // unless it has a distribution parameter (copied whatever it holds).
  bool boxes = false;
  for_each_array_param(d, [&](int, Kind kind) { boxes = boxes || kind == Kind::RealDist || kind == Kind::DistArray; });
  if (boxes && !has_vars(d)) return d;
  Dist r = plain_scalars(d, 4);
  for_each_array_param(d, [&](int j, Kind kind) {
    const Array* a = array_at(d, j);
    if (kind == Kind::RealArray) r.a[j] = from_ptr(plain_array(a));
    else if (kind == Kind::RealMatrix) r.a[j] = from_ptr(plain_matrix(a));
    else if (kind == Kind::RealDist && dist_param(d, j)) r.a[j] = from_ptr(dist_box(plain(*dist_param(d, j))));
    else if (kind == Kind::DistArray && a) {
      Array* c = array_new(a->len);
      for (int64_t i = 0; i < a->len; ++i) c->data[i] = from_ptr(dist_box(plain(*to_ptr<const Dist>(a->data[i]))));
      r.a[j] = from_ptr(c);
    }
  });
  return r;
}

Word plain_value(Word v, const TypeDesc& t) {
  switch (t.tag) {
    case TypeDesc::Tag::Real: return from_real(value(v));
    case TypeDesc::Tag::Array: {
      const auto* a = to_ptr<const Array>(v);
      if (!a || !t.elem) return v;
      if (t.elem->tag == TypeDesc::Tag::Real) return from_ptr(plain_array(a));
      if (t.elem->is_scalar() || t.elem->tag == TypeDesc::Tag::String) return v;
      Array* r = array_new(a->len);
      for (int64_t i = 0; i < a->len; ++i) r->data[i] = plain_value(a->data[i], *t.elem);
      return from_ptr(r);
    }
    case TypeDesc::Tag::Tuple:
    case TypeDesc::Tag::Record: {
      const auto* tu = to_ptr<const Tuple>(v);
      if (!tu) return v;
      Tuple* r = tuple_new(static_cast<int64_t>(t.fields.size()));
      for (size_t i = 0; i < t.fields.size(); ++i) r->fields[i] = plain_value(tu->fields[i], *t.fields[i]);
      return from_ptr(r);
    }
    case TypeDesc::Tag::Dist: return v ? from_ptr(dist_box(plain(*to_ptr<const Dist>(v)))) : v;
    default: return v;
  }
}

Word plain_sample_value(const Dist& d, Word x) {
  if (d.ops == &estimator_ops) return plain_sample_value(unwrap_estimator(d), x);
  switch (d.ops->value_kind) {
    case Kind::Real: return from_real(value(x));
    case Kind::RealArray: return from_ptr(plain_array(to_ptr<const Array>(x)));
    case Kind::RealMatrix: return from_ptr(plain_matrix(to_ptr<const Array>(x)));
    case Kind::Any:
      if (is_mixture(d) && array_at(d, 1) && array_at(d, 1)->len > 0) return plain_sample_value(component(d, 0), x);
      return x;
    default: return x;
  }
}

Word log_density(const Dist& d, Word x) {
  if (d.ops == &estimator_ops) return log_density(unwrap_estimator(d), x);
  const Kind value_kind = d.ops->value_kind;
  const bool array_value = value_kind == Kind::RealArray || value_kind == Kind::RealMatrix;
  if (!array_value && !is_mixture(d) && scalar_params(d.ops)) return scalar_log_density(d, x);
  if (is_mixture(d)) {
    if (!has_vars(d) && plain_sample_value(d, x) == x) return from_real(d.ops->log_density(d, x));
    return mixture_log_density(d, x);
  }
  const Dist pd = plain(d);
  const Word px = plain_sample_value(d, x);
  const bool x_vars = px != x;
  // plain(d) is d, word for word, exactly when d holds no variables (a
  // variable's value is a real, never a variable's word; an array with
  // variables is copied): no second scan of d's arrays.
  const bool d_vars = std::memcmp(&pd, &d, sizeof(Dist)) != 0;
  if (!x_vars && !d_vars) return from_real(d.ops->log_density(pd, px));
  if (!d.ops->log_density_grad)
    throw RuntimeError{"", std::string(d.ops->name) + " has no gradient: it cannot depend on a differentiated choice"};
  // Partials of every real the density reads, then one tape node. (One
  // thread-local block: each thread_local object is a call to reach.)
  struct Scratch {
    std::vector<Word> operands;
    std::vector<double> partials, dx, da[2];
  };
  thread_local Scratch scratch;
  double dp[4] = {0, 0, 0, 0};
  // The value's reals (none for a discrete value): their partials are dx,
  // wanted only when the value holds variables (observed data does not).
  const bool has_dx = x_vars && (value_kind == Kind::Real || (array_value && to_ptr<const Array>(x)));
  size_t xlen = 0;
  if (has_dx) for_each_value_real(value_kind, x, [&](Word&) { ++xlen; });  // (a pass over observed data otherwise)
  if (has_dx) scratch.dx.assign(xlen, 0.0);
  // Likewise an array parameter's partials only when it holds variables
  // (a GLM's predictors are data: n k partials nobody reads), i.e. when
  // plain(d) copied it.
  double* da[2] = {nullptr, nullptr};
  size_t nda = 0;
  for_each_array_param(d, [&](int j, Kind kind) {
    const Array* a = array_at(d, j);
    const bool copied = pd.a[j] != d.a[j];
    int64_t n = 0;
    if (kind == Kind::RealArray && a && copied) n = a->len;
    else if (kind == Kind::RealMatrix && a && copied)
      for (int64_t i = 0; i < a->len; ++i) n += to_ptr<const Array>(a->data[i])->len;
    else if (kind == Kind::RealDist && dist_param(d, j)) n = dist_param(d, j)->ops->nparams;
    if (n) {
      scratch.da[j].assign(static_cast<size_t>(n), 0.0);
      da[j] = scratch.da[j].data();
      nda += static_cast<size_t>(n);
    }
  });
  const double v = d.ops->log_density_grad(pd, px, dp, has_dx ? scratch.dx.data() : nullptr, da);
  if (!std::isfinite(v)) return from_real(v);
  // Operands in order: the real parameters, the value's reals, the arrays'.
  scratch.operands.resize(4 + xlen + nda);
  scratch.partials.resize(4 + xlen + nda);
  Word* operands = scratch.operands.data();
  double* partials = scratch.partials.data();
  size_t n = 0;
  auto push = [&](Word w, double partial) {
    operands[n] = w;
    partials[n++] = partial;
  };
  int np = 0;
  for (int k = 0; k < d.ops->nparams; ++k) {
    const Kind kind = d.ops->param_kinds[k];
    if (!scalar_kind(kind)) continue;
    if (kind == Kind::Real) push(param_word(d, np), dp[np]);
    ++np;
  }
  if (has_dx) {
    size_t i = 0;
    for_each_value_real(value_kind, x, [&](Word& w) { push(w, scratch.dx[i++]); });
  }
  for_each_array_param(d, [&](int j, Kind kind) {
    const Array* a = array_at(d, j);
    if (!a || !da[j]) return;
    size_t q = 0;
    if (kind == Kind::RealArray)
      for (int64_t i = 0; i < a->len; ++i) push(a->data[i], da[j][q++]);
    else if (kind == Kind::RealMatrix)
      for (int64_t i = 0; i < a->len; ++i) {
        const auto* row = to_ptr<const Array>(a->data[i]);
        for (int64_t c = 0; c < row->len; ++c) push(row->data[c], da[j][q++]);
      }
    else if (kind == Kind::RealDist)  // (its Int/Bool parameters: partial 0, plain words)
      for (int k = 0; k < dist_param(d, j)->ops->nparams; ++k) push(param_word(*dist_param(d, j), k), da[j][q++]);
  });
  return current_tape()->record(v, operands, partials, n);
}

Support support_of(const Dist& d) {
  if (d.ops == &estimator_ops) return support_of(unwrap_estimator(d));
  if (d.ops->support_kind == Support::Ordered) {
    // ordered's base bounds the values from below, or not at all; a base
    // bounded above too has no transform here.
    const Dist* base = dist_param(d, 0);
    const Support b = base ? support_of(*base) : Support::Dependent;
    return b == Support::Real ? Support::Ordered : b == Support::Positive ? Support::PositiveOrdered : Support::Dependent;
  }
  if (!is_mixture(d)) return d.ops->support_kind;
  const Array* comps = array_at(d, 1);
  if (!comps || comps->len == 0) return Support::Dependent;
  const Support s = support_of(component(d, 0));
  for (int64_t k = 1; k < comps->len; ++k)
    if (support_of(component(d, k)) != s) return Support::Dependent;
  // Supports that depend on parameters (interval, simplex, sizes) may differ between components.
  if (s == Support::Interval || s == Support::Simplex || s == Support::RealVector || s == Support::Ordered ||
      s == Support::PositiveOrdered || s == Support::CholeskyCorr)
    return Support::Dependent;
  return s;
}

}  // namespace borel::rt::ad
