// Methods.h — the inference methods a Borel program can pass to `infer`.
//
// Each method is a builtin constructor with named, defaulted parameters
// (`smc(particles = 500, resampling = "stratified")`) and a function that
// runs it. Adding an algorithm is: its building blocks in inference/, and
// one entry in the table in Methods.cpp. The type checker, lowering and the
// runtime all read this table.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gc/gc_allocator.h>

#include "compiler/frontend/Builtins.h"
#include "runtime/Dist.h"
#include "runtime/Model.h"
#include "runtime/TypeDesc.h"

namespace borel {

// The settings of one `infer` call, as the program gave them (defaults filled in).
struct MethodOptions {
  std::string name;
  std::map<std::string, int64_t> ints;       // int and bool parameters
  std::map<std::string, double> reals;
  std::map<std::string, std::string> strings;
  // Function parameters (closures); in collector-scanned memory, so they stay
  // alive while the method value does.
  std::map<std::string, rt::Word, std::less<>, traceable_allocator<std::pair<const std::string, rt::Word>>> closures;
  int64_t threads = 0;                       // 0: the --threads of the run (1 when nested)

  int64_t get_int(const std::string& k) const { return ints.at(k); }
  double get_real(const std::string& k) const { return reals.at(k); }
  const std::string& get_string(const std::string& k) const { return strings.at(k); }
};

struct MethodParam {
  std::string name;
  DefaultArg value;  // its kind is the parameter's type; its value the default
};

struct MethodSpec {
  // What the constructor makes: an inference method (for `infer`), or a
  // variational objective or optimiser (for `vi`, inference/Vi.h), each an
  // opaque type of its own so that one cannot stand for another.
  enum class Category { Method, Objective, Optimiser };
  std::string name;
  Category category = Category::Method;
  std::string summary;  // one line, for docs and --help
  std::vector<MethodParam> params;  // `threads` is added to every method
  // Runs the method on `model`, whose results have type `type`.
  std::function<rt::Dist*(const MethodOptions&, rt::Model& model, const rt::TypeDesc& type, uint64_t seed,
                          int threads, bool progress)>
      run;
  // Runs gradient-based inference: the program is compiled with
  // differentiating twins (runtime/Tape.h).
  bool gradients = false;
};

const std::vector<MethodSpec>& method_specs();
const MethodSpec* find_method(const std::string& name);
// The opaque Borel type of a category's values: "Method", "Objective", "Optimiser".
const char* category_type(MethodSpec::Category c);
// Whether `name` is a method that needs gradients (false for unknown names).
bool method_needs_gradients(const std::string& name);
// Whether a string could be a kernel list ("rw+nuts") naming a kernel that
// needs gradients (inference/NutsKernel.h): the program then gets its twins.
bool kernel_needs_gradients(const std::string& spec);

}  // namespace borel
