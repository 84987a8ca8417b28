// DocsAgreeTest.cpp — the documentation states what the code does.
//
// Checks, against the code itself: every builtin has a row in a table of
// docs/language.md, docs/distributions.md or docs/llm.md; docs/language.md's table of inference
// methods (every method of compiler/Methods.cpp, each parameter with its
// default, no parameter the method lacks); docs/inference.md's copy of the
// C++ `Method` struct (field by field, with inference/Infer.h) and the
// error messages it quotes (produced by inference::infer); and that the C++
// API's `smc` resamples when the language's does (ess_threshold 1 by
// default: after every step).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "borel/Borel.h"
#include "compiler/Methods.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"
#include "runtime/TypeDesc.h"

namespace {

std::string read_source(const std::string& rel) {
  std::ifstream in(std::string(BOREL_SOURCE_DIR) + "/" + rel);
  REQUIRE_MESSAGE(in, "cannot open " << rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A default as the table writes it: 1000, 1.0, 0.5, `"rw"`, (required.
std::string doc_default(const borel::DefaultArg& d) {
  switch (d.kind) {
    case borel::DefaultArg::Kind::Int: return std::to_string(d.i);
    case borel::DefaultArg::Kind::Real: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", d.r);
      std::string s = buf;
      return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
    }
    case borel::DefaultArg::Kind::String: return "`\"" + d.s + "\"`";
    default: return "required";
  }
}

// The text between the first "struct Method {" and the following "};".
std::string method_struct(const std::string& text) {
  const size_t b = text.find("struct Method {");
  REQUIRE(b != std::string::npos);
  const size_t e = text.find("};", b);
  REQUIRE(e != std::string::npos);
  return text.substr(b, e - b);
}

// Each field declaration "type name = default;" or "type name;", comments
// removed and spaces collapsed, by field name.
std::map<std::string, std::string> fields(const std::string& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  std::string line;
  const std::regex decl(R"(^\s*([A-Za-z_0-9:<>]+)\s+([a-z_]+)\s*(=\s*[^;]*)?;)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, decl)) continue;
    std::string init = m[3].str();
    init.erase(std::remove(init.begin(), init.end(), ' '), init.end());
    out[m[2].str()] = m[1].str() + " " + init;
  }
  return out;
}

}  // namespace

TEST_CASE("docs/language.md's methods table: every method, parameter and default of compiler/Methods.cpp") {
  const std::string all = read_source("docs/language.md");
  const size_t from = all.find("## infer and the methods");
  REQUIRE(from != std::string::npos);
  const std::string doc = all.substr(from, all.find("\n## ", from + 1) - from);
  std::map<std::string, std::string> rows;  // method name -> its parameters column
  std::istringstream in(doc);
  std::string line;
  const std::regex row(R"(^\| `([a-z_0-9]+)\((\.\.\.)?\)` \| ([^|]*) \|)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) rows[m[1].str()] = m[3].str();
  }
  for (const borel::MethodSpec& spec : borel::method_specs()) {
    INFO("method " << spec.name);
    REQUIRE_MESSAGE(rows.count(spec.name), "docs/language.md has no row for " << spec.name);
    const std::string& params = rows[spec.name];
    const bool method = spec.category == borel::MethodSpec::Category::Method;
    std::set<std::string> known;
    if (method) known.insert("threads");
    for (const borel::MethodParam& p : spec.params) {
      known.insert(p.name);
      const std::string want = "`" + p.name + "` (" + doc_default(p.value);
      CHECK_MESSAGE(params.find(want) != std::string::npos, "expected " << want << " in: " << params);
    }
    CHECK((params.find("`threads` (0)") != std::string::npos) == method);
    // And no parameter the method does not have.
    const std::regex named(R"(`([a-z_]+)` \()");
    for (auto it = std::sregex_iterator(params.begin(), params.end(), named); it != std::sregex_iterator(); ++it)
      CHECK_MESSAGE(known.count((*it)[1].str()), spec.name << " has no parameter " << (*it)[1].str());
    rows.erase(spec.name);
  }
  const std::string extra = rows.empty() ? "" : rows.begin()->first;
  CHECK_MESSAGE(rows.empty(), "docs/language.md lists a method that does not exist: " << extra);
}

TEST_CASE("docs/inference.md's Method struct is inference/Infer.h's") {
  const auto doc = fields(method_struct(read_source("docs/inference.md")));
  const auto code = fields(method_struct(read_source("inference/Infer.h")));
  CHECK(code.size() >= 14);
  CHECK(doc == code);
}

TEST_CASE("the errors docs/inference.md quotes are the ones infer raises") {
  const std::string doc = read_source("docs/inference.md");
  borel::Program p = borel::Program::from_source("q.brl", "fn model() -> real { sample(normal(0.0, 1.0)) }\n", {"model"});
  p.run_main(1);
  auto model = p.model("model");
  auto message = [&](const borel::inference::Method& m) -> std::string {
    try {
      borel::inference::infer(m, *model, *p.result_type("model"), 1, 1);
    } catch (const borel::rt::RuntimeError& e) {
      return e.what();
    }
    return "no error";
  };
  borel::inference::Method m;
  m.progress = false;
  m.particles = 0;
  std::string e = message(m);
  CHECK(e == "smc: particles is 0, but must be positive");
  CHECK(doc.find("`" + e + "`") != std::string::npos);
  m.particles = 10;
  m.resampling = "x";
  e = message(m);
  CHECK(doc.find("`" + e + "`") != std::string::npos);
  m.resampling = "systematic";
  m.name = "x";
  e = message(m);
  CHECK(doc.find("`" + e + "`") != std::string::npos);
}

TEST_CASE("smc's default ess_threshold is 1 in the C++ API as in the language: resampling after every step") {
  const borel::MethodSpec* smc = borel::find_method("smc");
  REQUIRE(smc);
  for (const borel::MethodParam& p : smc->params)
    if (p.name == "ess_threshold") CHECK(p.value.r == 1.0);
  // Three observations of values the prior makes likely: the ESS stays
  // above N/2, so only a threshold of 1 resamples after each of the three
  // steps that precede another.
  borel::Program p = borel::Program::from_source("e.brl", R"(
fn model() -> real {
  let mu = sample(normal(0.0, 1.0));
  observe(normal(mu, 10.0), 0.1);
  observe(normal(mu, 10.0), 0.2);
  observe(normal(mu, 10.0), 0.3);
  mu
}
)", {"model"});
  p.run_main(1);
  borel::inference::Method m;
  m.progress = false;
  m.particles = 200;
  const borel::rt::Dist* d = borel::inference::infer(m, *p.model("model"), *p.result_type("model"), 3, 1);
  const borel::inference::EmpiricalData* e = borel::inference::empirical_data(*d);
  REQUIRE(e);
  CHECK(e->resamplings == 3);
  m.ess_threshold = 0.5;
  d = borel::inference::infer(m, *p.model("model"), *p.result_type("model"), 3, 1);
  CHECK(borel::inference::empirical_data(*d)->resamplings == 0);
}

// The names a table row documents: the identifiers of its first cell
// ("| `masked(d, allowed)` |" gives masked, d, allowed; "| `floor ceil
// round` |" gives all three).
std::set<std::string> documented_names(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  const std::regex ident("[A-Za-z_][A-Za-z_0-9]*");
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const size_t end = line.find('|', 1);
    const std::string cell = line.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    for (std::sregex_iterator it(cell.begin(), cell.end(), ident), e; it != e; ++it) out.insert(it->str());
  }
  return out;
}

TEST_CASE("every builtin is a row of a table in docs/language.md, docs/distributions.md or docs/llm.md") {
  std::set<std::string> names;
  for (const char* doc : {"docs/language.md", "docs/distributions.md", "docs/llm.md"})
    names.merge(documented_names(read_source(doc)));
  std::string missing;
  for (const borel::Builtin& b : borel::all_builtins())
    if (!b.name.empty() && b.name[0] != '_' && !names.count(b.name)) missing += " " + b.name;
  CHECK_MESSAGE(missing.empty(), "builtins without a documented row:" << missing);
}
