// Borel.h — the embedding API: compile Borel source and run it from C++.
//
//   borel::Program p = borel::Program::from_file("model.brl", {"model"});
//   p.run_main(42);                         // top-level lets, then main() if any
//   std::unique_ptr<borel::rt::Model> m = p.model("model");   // fn model() -> T
//   borel::rt::Dist* post = borel::inference::infer(method, *m, *p.result_type("model"), seed);
//
// A Program owns its generated code: keep it alive while any model, closure
// or value from it is in use. Compile errors throw borel::CompileError with
// every diagnostic rendered (file:line:col and a caret); runtime errors throw
// borel::rt::RuntimeError. LLVM's headers are not needed to use this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/frontend/Diagnostics.h"
#include "runtime/Model.h"
#include "runtime/TypeDesc.h"

namespace borel {

struct CompiledProgram;

class Program {
 public:
  // `exports`: zero-argument top-level functions to use as models.
  static Program from_file(const std::string& path, const std::vector<std::string>& exports = {});
  static Program from_source(const std::string& name, const std::string& source,
                             const std::vector<std::string>& exports = {});
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;
  ~Program();

  // Evaluates the top-level lets, then calls main() when the program has one.
  void run_main(uint64_t seed = 0, int threads = 1);
  // An exported function `fn NAME() -> T` as a model for inference. A
  // program with top-level lets must have run run_main() first
  // (rt::RuntimeError otherwise: its models would read unset lets).
  std::unique_ptr<rt::Model> model(const std::string& name) const;
  // The closure of exported function NAME, of any arity, for a host that
  // calls it itself (a user's variational objective, inference/Vi.h);
  // valid while the Program lives. Same precondition as model().
  rt::Word closure(const std::string& name) const;
  // T, the result type of exported function NAME; null when not decided.
  const rt::TypeDesc* result_type(const std::string& name) const;
  // Seconds spent in each compiler stage.
  std::vector<std::pair<std::string, double>> stage_times() const;

 private:
  explicit Program(std::unique_ptr<CompiledProgram> p);
  std::unique_ptr<CompiledProgram> p_;
};

}  // namespace borel
