// ParamStore.cpp — see ParamStore.h.
#include "inference/ParamStore.h"

#include "runtime/Model.h"

namespace borel::inference {

double ParamStore::Param::value() const { return rt::to_real(rt::constrain(rt::from_real(u), constraint)); }

size_t ParamStore::slot(const std::string& name, double init, rt::ParamConstraint c) {
  auto it = index_.find(name);
  if (it == index_.end()) {
    rt::check_init(name, init, c);
    it = index_.emplace(name, params_.size()).first;
    params_.push_back(Param{name, c, rt::unconstrain(init, c)});
    leaves_.push_back(0);
  }
  return it->second;
}

rt::Word ParamStore::read(size_t i, rt::ParamConstraint c) {
  if (params_[i].constraint != c)
    throw rt::RuntimeError{"", std::string(rt::param_builtin(c)) + "(\"" + params_[i].name +
                                   "\"): the parameter was declared by " + rt::param_builtin(params_[i].constraint) +
                                   " before; one name, one constraint"};
  if (!tape_ || plain_) return rt::constrain(rt::from_real(params_[i].u), c);
  if (!leaves_[i]) leaves_[i] = tape_->leaf(params_[i].u);
  return rt::constrain(leaves_[i], c);
}

rt::Word ParamStore::param(const std::string& name, double init, rt::ParamConstraint c) {
  return read(slot(name, init, c), c);
}

namespace {

// (A name is a few characters: compared in place, not by a call to memcmp.)
bool same(const std::string& a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < b.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace

rt::Word ParamStore::param_at(int64_t site, std::string_view name, double init, rt::ParamConstraint c) {
  if (site >= 0 && site < static_cast<int64_t>(site_slots_.size())) {
    const uint32_t s = site_slots_[static_cast<size_t>(site)];
    if (s && same(params_[s - 1].name, name)) return read(s - 1, c);
  }
  const size_t i = slot(std::string(name), init, c);
  if (site >= 0 && site < kSiteSlots) {
    if (site >= static_cast<int64_t>(site_slots_.size())) site_slots_.resize(static_cast<size_t>(site) + 1, 0);
    site_slots_[static_cast<size_t>(site)] = static_cast<uint32_t>(i + 1);
  }
  return read(i, c);
}

void ParamStore::begin_evaluation(rt::ad::Tape* tape) {
  tape_ = tape;
  plain_ = false;
  std::fill(leaves_.begin(), leaves_.end(), 0);
}

void ParamStore::gradient(std::vector<double>& g) const {
  g.assign(params_.size(), 0.0);
  for (size_t i = 0; i < params_.size(); ++i)
    if (leaves_[i] && tape_) g[i] = tape_->adjoint(leaves_[i]);
}

const ParamStore::Param* ParamStore::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &params_[it->second];
}

}  // namespace borel::inference
