// Embedding.cpp — the Program class of include/borel/Borel.h over the pipeline.
#include "borel/Borel.h"

#include "compiler/ir/Lower.h"
#include "compiler/Pipeline.h"
#include "runtime/abi/RuntimeAbi.h"

namespace borel {

Program::Program(std::unique_ptr<CompiledProgram> p) : p_(std::move(p)) {}
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

Program Program::from_file(const std::string& path, const std::vector<std::string>& exports) {
  CompileResult r = compile(path, "", Emit::None, exports);
  if (!r.ok) throw CompileError(r.diagnostics);
  return Program(std::move(r.program));
}

Program Program::from_source(const std::string& name, const std::string& source,
                             const std::vector<std::string>& exports) {
  CompileResult r = compile(name, source, Emit::None, exports);
  if (!r.ok) throw CompileError(r.diagnostics);
  return Program(std::move(r.program));
}

void Program::run_main(uint64_t seed, int threads) {
  abi::RunOptions o;
  o.seed = seed;
  o.threads = threads;
  o.progress = false;
  abi::run_entry(p_->entry, o);
  p_->globals_set = true;
}

std::unique_ptr<rt::Model> Program::model(const std::string& name) const {
  // A model reading a top-level let that was never set would read null.
  if (p_->ir.global_count > 0 && !p_->globals_set)
    throw rt::RuntimeError{"", "Program::model(\"" + name +
                                   "\"): the program's top-level lets are not evaluated yet; call run_main() first"};
  return std::make_unique<abi::CompiledModel>(closure(name));
}

rt::Word Program::closure(const std::string& name) const {
  if (p_->ir.global_count > 0 && !p_->globals_set)
    throw rt::RuntimeError{"", "Program::closure(\"" + name +
                                   "\"): the program's top-level lets are not evaluated yet; call run_main() first"};
  return p_->closure(name);
}

const rt::TypeDesc* Program::result_type(const std::string& name) const {
  auto it = p_->export_types.find(name);
  return it == p_->export_types.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, double>> Program::stage_times() const {
  std::vector<std::pair<std::string, double>> out;
  for (auto& t : p_->times) out.emplace_back(t.stage, t.seconds);
  return out;
}

}  // namespace borel
