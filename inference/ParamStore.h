// ParamStore.h — the variational parameters of a guide (runtime/Params.h)
// as the VI engine holds them: each a named unconstrained real u, created at
// the first `param` call that names it, with its constraint.
//
// Two modes, for the evaluation under way:
//   taped (begin_evaluation(tape)): each parameter read in this evaluation
//     is one leaf on the tape (made at its first read), so after a reverse
//     sweep gradient() gives d objective / d u for every parameter;
//   plain (begin_evaluation(nullptr)): reads give the plain values.
// Guarantees: the parameters keep the order of their first appearance,
// whatever the mode; a name declared twice with different constraints is an
// error naming both builtins.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/Params.h"
#include "runtime/Tape.h"

namespace borel::inference {

class ParamStore final : public rt::ParamSource {
 public:
  struct Param {
    std::string name;
    rt::ParamConstraint constraint;
    double u;  // unconstrained
    double value() const;  // constrained
  };

  rt::Word param(const std::string& name, double init, rt::ParamConstraint c) override;
  // By the site's last parameter when the name is the same (no hashing of
  // the name at each read), by name otherwise.
  rt::Word param_at(int64_t site, std::string_view name, double init, rt::ParamConstraint c) override;

  void begin_evaluation(rt::ad::Tape* tape);
  // Leaves on the tape stay readable while plain reads are made (the engine's
  // extra, untaped runs in the middle of a taped evaluation).
  void set_plain(bool plain) { plain_ = plain; }
  // After tape->backward: d out / d u per parameter (0 for those not read).
  void gradient(std::vector<double>& g) const;

  std::vector<Param>& params() { return params_; }
  const std::vector<Param>& params() const { return params_; }
  const Param* find(const std::string& name) const;

 private:
  // The parameter a name denotes, created from `init` if it is new.
  size_t slot(const std::string& name, double init, rt::ParamConstraint c);
  // Parameter i's value in this evaluation, read as constraint c.
  rt::Word read(size_t i, rt::ParamConstraint c);

  std::vector<Param> params_;
  // Per program site (those below kSiteSlots): 1 + the index of the
  // parameter it named last, 0 for none yet.
  static constexpr int64_t kSiteSlots = 1 << 16;
  std::vector<uint32_t> site_slots_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<rt::Word> leaves_;  // per parameter; 0: not read in this evaluation
  rt::ad::Tape* tape_ = nullptr;
  bool plain_ = false;
};

}  // namespace borel::inference
