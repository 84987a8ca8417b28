// PipelineRobustnessTest.cpp — mutated programs through the whole front end.
//
// Every example and language test is mutated many times (characters and
// tokens deleted, duplicated, swapped, punctuation inserted, truncated) and
// type-checked; each run must end in diagnostics or success — never an
// exception, an internal error or a crash. Mutants that type-check are also
// lowered and optimised to LLVM IR, which must not fail either: a well-typed
// program never reaches the compiler's internal-error path.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/frontend/Diagnostics.h"
#include "compiler/Pipeline.h"

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  std::filesystem::path root(BOREL_SOURCE_DIR);
  for (const char* dir : {"examples", "tests/lang"}) {
    for (auto& e : std::filesystem::recursive_directory_iterator(root / dir)) {
      if (e.path().extension() != ".brl") continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(ss.str());
    }
  }
  return out;
}

std::string mutate(const std::string& s, std::mt19937_64& rng) {
  static const std::string junk = "(){}[],;:.=+-*/<>!&|\"'0123456789 fnletifelseforin_xyz\n";
  std::string m = s;
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !m.empty(); ++e) {
    size_t at = rng() % m.size();
    size_t len = 1 + rng() % 8;
    switch (rng() % 6) {
      case 0: m.erase(at, len); break;
      case 1: m.insert(at, m.substr(rng() % m.size(), len)); break;
      case 2: m.insert(at, 1, junk[rng() % junk.size()]); break;
      case 3: m[at] = junk[rng() % junk.size()]; break;
      case 4: std::swap(m[at], m[rng() % m.size()]); break;
      case 5: m.resize(at); break;
    }
  }
  return m;
}

}  // namespace

TEST_CASE("mutated programs end in diagnostics or success, never an internal error") {
  std::vector<std::string> programs = corpus();
  REQUIRE(programs.size() >= 10);
  std::mt19937_64 rng(20261122);
  int checked_ok = 0, rejected = 0, lowered = 0;
  const int kMutants = 2500;
  for (int i = 0; i < kMutants; ++i) {
    const std::string& base = programs[static_cast<size_t>(i) % programs.size()];
    std::string src = mutate(base, rng);
    if (src.empty()) src.push_back(' ');
    borel::CompileResult r;
    try {
      r = borel::compile("mutant.brl", src, borel::Emit::Check);
    } catch (const std::exception& e) {
      FAIL("compile threw on mutant " << i << ": " << e.what() << "\n" << src);
    }
    if (!r.ok) {
      ++rejected;
      CHECK_MESSAGE(r.diagnostics.find("error:") != std::string::npos, "rejected without an error message");
      continue;
    }
    ++checked_ok;
    // Every 10th well-typed mutant goes through lowering and LLVM as well.
    if (checked_ok % 10 != 0) continue;
    try {
      borel::CompileResult l = borel::compile("mutant.brl", src, borel::Emit::Llvm);
      if (l.ok) ++lowered;
    } catch (const std::exception& e) {
      FAIL("lowering a well-typed mutant threw: " << e.what() << "\n" << src);
    }
  }
  MESSAGE("mutants: " << rejected << " rejected, " << checked_ok << " well-typed, " << lowered << " lowered");
  CHECK(rejected > kMutants / 4);
  CHECK(checked_ok > 0);
}

TEST_CASE("the examples compile and emit every stage") {
  for (const char* ex : {"coin", "lgssm", "regression", "sprinkler", "eight_schools", "changepoint", "outliers", "lipogram", "vi_objectives"}) {
    std::string path = std::string(BOREL_SOURCE_DIR) + "/examples/" + ex + ".brl";
    for (borel::Emit e : {borel::Emit::Tokens, borel::Emit::Ast, borel::Emit::Typed, borel::Emit::Ir, borel::Emit::Llvm}) {
      borel::CompileResult r = borel::compile(path, "", e);
      CHECK_MESSAGE(r.ok, ex << ": " << r.diagnostics);
      CHECK(!r.emitted.empty());
    }
  }
}
