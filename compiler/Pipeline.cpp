// Pipeline.cpp — runs the stages in order and stops at the first stage with errors.
#include "compiler/Pipeline.h"

#include <gc/gc.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "compiler/frontend/Builtins.h"
#include "compiler/backend/Aot.h"
#include "compiler/backend/Codegen.h"
#include "compiler/passes/DeadFunctions.h"
#include "compiler/passes/DropForwardedParams.h"
#include "compiler/passes/EffectAnalysis.h"
#include "compiler/passes/FrameLiveness.h"
#include "compiler/passes/SpecializeClosures.h"
#include "compiler/passes/TailSites.h"
#include "compiler/frontend/Lexer.h"
#include "compiler/ir/Lower.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/TypeCheck.h"

namespace borel {
namespace {

class Timer {
 public:
  explicit Timer(std::vector<StageTime>& out) : out_(out), t_(std::chrono::steady_clock::now()) {}
  void lap(const char* stage) {
    auto now = std::chrono::steady_clock::now();
    out_.push_back({stage, std::chrono::duration<double>(now - t_).count()});
    t_ = now;
  }

 private:
  std::vector<StageTime>& out_;
  std::chrono::steady_clock::time_point t_;
};

struct Loaded {
  std::vector<std::unique_ptr<SourceFile>> files;
  std::vector<std::unique_ptr<Module>> modules;  // prelude first, then imports before importers
};

// Sources larger than this are refused: no program is that long, and reading
// must end even when the path names an endless device (/dev/zero) or pipe.
constexpr std::uintmax_t kMaxSourceBytes = std::uintmax_t{64} << 20;
constexpr const char* kCannotRead = "cannot read file";

// Reads a source file into `out`; returns "" or why it cannot (a phrase that
// follows the file's name). Regular files are measured before reading;
// anything else (a pipe, /dev/stdin, a device) is read up to the bound.
std::string read(const std::string& path, std::string& out) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::directory) return "is a directory, not a source file";
  if (st.type() == std::filesystem::file_type::regular) {
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxSourceBytes)
      return "is " + std::to_string(size) + " bytes; sources over 64 MiB are refused";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return kCannotRead;
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSourceBytes) return "is longer than 64 MiB; sources over 64 MiB are refused";
  }
  if (in.bad()) return kCannotRead;
  out = std::move(text);
  return "";
}

// Parses `file` and, depth first, the files it imports (each once).
void load(Loaded& l, std::unique_ptr<SourceFile> file, Diagnostics& diags, std::set<std::string>& seen,
          std::vector<std::string>& stack) {
  SourceFile* f = file.get();
  l.files.push_back(std::move(file));
  std::unique_ptr<Module> m = parse(*f, diags);
  if (!m) return;
  m->file = f;
  std::string dir = std::filesystem::path(f->path).parent_path().string();
  for (const Import& imp : m->imports) {
    std::filesystem::path p = std::filesystem::path(dir) / imp.path;
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(p, ec).string();
    if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
      diags.error(imp.loc, "import cycle: \"" + imp.path + "\" imports this file again");
      continue;
    }
    if (!seen.insert(key).second) continue;
    std::string text;
    if (const std::string why = read(p.string(), text); !why.empty()) {
      diags.error(imp.loc, why == kCannotRead ? "cannot read imported file \"" + p.string() + "\""
                                              : "imported file \"" + p.string() + "\" " + why);
      continue;
    }
    stack.push_back(key);
    load(l, std::make_unique<SourceFile>(p.lexically_normal().string(), std::move(text)), diags, seen, stack);
    stack.pop_back();
  }
  l.modules.push_back(std::move(m));
}

}  // namespace

CompiledProgram::~CompiledProgram() {
  if (ir.globals) GC_FREE(ir.globals);
}

rt::Word CompiledProgram::closure(const std::string& name) {
  return reinterpret_cast<rt::Word>(jit->lookup((name + ".closure").c_str()));
}

CompileResult compile(const std::string& path, const std::string& source, Emit emit,
                      const std::vector<std::string>& exports, const std::string& object_path) {
  CompileResult r;
  Diagnostics diags;
  std::vector<StageTime> times;
  Timer timer(times);
  auto fail = [&] {
    r.ok = false;
    r.diagnostics = diags.render();
    return std::move(r);
  };

  std::string text = source;
  if (text.empty()) {
    if (const std::string why = read(path, text); !why.empty()) {
      r.diagnostics = path + ": error: " + (why == kCannotRead ? why : "the file " + why) + "\n";
      return r;
    }
  }
  auto user = std::make_unique<SourceFile>(path, text);
  const SourceFile* user_file = user.get();
  if (emit == Emit::Tokens) {
    r.emitted = dump_tokens(lex(*user, diags));
    r.ok = !diags.has_errors();
    r.diagnostics = diags.render();
    return r;
  }

  Loaded loaded;
  auto prelude = std::make_unique<SourceFile>("<prelude>", prelude_source());
  std::set<std::string> seen;
  std::vector<std::string> stack;
  load(loaded, std::move(prelude), diags, seen, stack);
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(path, ec).string();
  seen.insert(key);
  stack.push_back(key);
  load(loaded, std::move(user), diags, seen, stack);
  timer.lap("parse");
  if (emit == Emit::Ast) {
    r.emitted = loaded.modules.empty() ? "" : dump_ast(*loaded.modules.back());
    r.ok = !diags.has_errors();
    r.diagnostics = diags.render();
    return r;
  }
  if (diags.has_errors()) return fail();

  TypeArena arena;
  std::vector<Module*> mods;
  for (auto& m : loaded.modules) mods.push_back(m.get());
  CheckedProgram checked = type_check(mods, arena, diags);
  timer.lap("typecheck");
  if (diags.has_errors()) return fail();
  if (emit == Emit::Typed || emit == Emit::Check) {
    if (emit == Emit::Typed) r.emitted = dump_typed(checked);
    r.ok = true;
    r.diagnostics = diags.render();
    return r;
  }
  if (!checked.has_main && exports.empty()) {
    diags.error(Loc{user_file, 1, 1}, "no `fn main()` to run");
    return fail();
  }

  auto program = std::make_unique<CompiledProgram>();
  program->ir = lower(checked, diags);
  for (const std::string& name : exports) {
    auto it = std::find_if(program->ir.functions.begin(), program->ir.functions.end(),
                           [&](auto& f) { return f->name == name && !f->is_closure; });
    if (it == program->ir.functions.end()) {
      diags.error(Loc{user_file, 1, 1}, "no top-level function `" + name + "` to export");
      continue;
    }
    program->ir.exports.push_back(it->get());
    auto ft = checked.function_types.find(name);
    if (ft != checked.function_types.end() && prune(ft->second)->tag == Type::Tag::Func)
      program->export_types[name] = type_desc(program->ir, prune(ft->second)->args.back());
  }
  timer.lap("lower");
  if (diags.has_errors()) return fail();
  specialise_closures(program->ir);
  drop_forwarded_params(program->ir);
  analyse_effects(program->ir);
  mark_reachable(program->ir);
  mark_tail_sites(program->ir);
  compute_frame_liveness(program->ir);
  timer.lap("ir-passes");
  if (emit == Emit::Ir) {
    r.emitted = dump_ir(program->ir);
    r.ok = true;
    return r;
  }

  if (emit == Emit::Object) {
    llvm::LLVMContext ctx;
    std::unique_ptr<llvm::Module> mod = generate_llvm(program->ir, ctx, /*aot=*/true);
    write_object(*mod, object_path);
    timer.lap("object");
    r.ok = true;
    r.diagnostics = diags.render();
    return r;
  }

  rt::gc_init();
  program->ir.globals = static_cast<int64_t*>(
      GC_MALLOC_UNCOLLECTABLE(sizeof(int64_t) * static_cast<size_t>(std::max<int64_t>(1, program->ir.global_count))));
  auto ctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> mod = generate_llvm(program->ir, *ctx);
  timer.lap("codegen");
  program->jit = std::make_unique<Jit>();
  program->jit->configure(*mod);
  optimise_llvm(*mod);
  timer.lap("optimise");
  if (emit == Emit::Llvm) {
    r.emitted = dump_llvm(*mod);
    r.ok = true;
    return r;
  }
  program->jit->add(std::move(mod), std::move(ctx));
  program->entry = reinterpret_cast<rt::Word>(program->jit->lookup("__main.closure"));
  timer.lap("jit");
  program->times = times;
  r.ok = true;
  r.diagnostics = diags.render();
  r.program = std::move(program);
  return r;
}

}  // namespace borel
