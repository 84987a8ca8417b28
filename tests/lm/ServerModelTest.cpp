// ServerModelTest.cpp — a language model behind an OpenAI-compatible server
// as a Borel LM (llm_server): against `borel lm serve`'s engine in process
// (OpenAiServer on a free loopback port) serving stories260K, the text-level
// builtins give the embedded model's numbers bit for bit — also as the
// likelihood of importance sampling, whose particles' verdicts go to the
// server together (concurrent requests, inference/Batched.h) — and the
// token-level ones fail with a message that says what to use instead.
#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "FakeHttpServer.h"
#include "OpenAiServer.h"
#include "borel/Borel.h"
#include "inference/Smc.h"
#include "runtime/Model.h"

namespace {

std::string model_path() {
  const char* e = std::getenv("BOREL_TEST_MODELS");
  return std::string(e && *e ? e : BOREL_TEST_MODELS_DEFAULT) + "/stories260K.gguf";
}

// The value of `fn name()` in `source`, run once (forward, unweighted).
borel::rt::Word value_of(const std::string& source, const std::string& name) {
  borel::Program p = borel::Program::from_source("server.brl", source, {name});
  p.run_main();  // the top-level lets
  auto model = p.model(name);
  borel::inference::SmcSettings s;
  s.particles = 1;
  s.suspend = false;
  s.condition = false;
  return borel::inference::smc(*model, s, 1, 1).slots()[0];
}

std::string header(const std::string& url) {
  return "let local = llm(\"" + model_path() + "\");\n"
         "let server = llm_server(\"" + url + "\");\n";
}

}  // namespace

TEST_CASE("llm_server: text log-probabilities, verdicts and generated texts as the embedded model's") {
  if (!std::ifstream(model_path()).good()) return;  // main() reports the skip
  borel::llm::http::OpenAiServer server(borel::llm::Model::load(model_path()), {});
  const std::string h = header(server.base_url());
  // Bit for bit (==, not a tolerance): the server computes its scores as the
  // embedded engine does and writes them with round-trip digits.
  CHECK(value_of(h + "fn f() -> bool {\n"
                     "  let p = \"Once upon a time\";\n"
                     "  text_logprob(server, p, \", there was a girl\") == text_logprob(local, p, \", there was a girl\") &&\n"
                     "  text_logprob(server, p, \" Lily\") == text_logprob(local, p, \" Lily\")\n"
                     "}\n",
                 "f") == 1);
  CHECK(value_of(h + "fn f() -> bool {\n"
                     "  let q = \"Once upon a time there was a happy dog. Was the dog happy? Answer:\";\n"
                     "  log_density(judge(server, q), true) == log_density(judge(local, q), true)\n"
                     "}\n",
                 "f") == 1);
  // A text drawn by the server (temperature 1), and its density.
  CHECK(value_of(h + "fn f() -> bool {\n"
                     "  let d = generate_text(server, \"Once upon a time\", max_tokens = 8);\n"
                     "  let x = sample(d);\n"
                     "  str_len(x) > 0 && log_density(d, x) == text_logprob(local, \"Once upon a time\", x) && log_density(d, x) < 0.0\n"
                     "}\n",
                 "f") == 1);
}

TEST_CASE("llm_server: the judge as a likelihood under importance sampling, the same weights as embedded") {
  if (!std::ifstream(model_path()).good()) return;
  borel::llm::http::OpenAiServer server(borel::llm::Model::load(model_path()), {});
  const std::string h = header(server.base_url());
  auto weights = [&](const std::string& judge_lm) {
    const std::string src = h +
        "fn model() -> int {\n"
        "  let s = tokenize(local, \"Once upon a time there was a dog. The dog was\");\n"
        "  let t = sample(next_token(local, s));\n"
        "  observe(judge(" + judge_lm + ", detokenize(local, s ++ [t]) ++ \". Was the dog happy? Answer:\"), true);\n"
        "  t\n"
        "}\n";
    borel::Program p = borel::Program::from_source("is.brl", src, {"model"});
    p.run_main();
    auto model = p.model("model");
    borel::inference::SmcSettings s;
    s.particles = 24;
    s.suspend = false;
    auto pop = borel::inference::smc(*model, s, 3, 1);
    return std::vector<double>(pop.log_weights(), pop.log_weights() + pop.size());
  };
  const std::vector<double> remote = weights("server"), local = weights("local");
  REQUIRE(remote.size() == local.size());
  for (size_t i = 0; i < remote.size(); ++i) CHECK(remote[i] == local[i]);
}

TEST_CASE("llm_server: token-level builtins say what to use instead; a refused connection is a located error") {
  if (!std::ifstream(model_path()).good()) return;
  borel::llm::http::OpenAiServer server(borel::llm::Model::load(model_path()), {});
  const std::string h = header(server.base_url());
  try {
    value_of(h + "fn f() -> int {\n  sample(next_token(server, [1]))\n}\n", "f");
    FAIL("next_token on a server did not fail");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.find("server.brl:4") != std::string::npos);
    CHECK(e.message.find("is a server") != std::string::npos);
    CHECK(e.message.find("llm(path)") != std::string::npos);
  }
  // Nothing listens on port 9 of loopback (discard): refused, after retries.
  try {
    value_of("fn f() -> real {\n  text_logprob(llm_server(\"http://127.0.0.1:9/v1\"), \"a\", \"b\")\n}\n", "f");
    FAIL("a refused connection did not fail");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.find("server.brl:2") != std::string::npos);
    CHECK(e.message.find("127.0.0.1:9") != std::string::npos);
  }
}

TEST_CASE("llm_server: tokenize through the server's /tokenize, the embedded model's ids; without it a located error") {
  if (!std::ifstream(model_path()).good()) return;
  borel::llm::http::OpenAiServer server(borel::llm::Model::load(model_path()), {});
  const std::string h = header(server.base_url());
  CHECK(value_of(h + "fn f() -> bool {\n"
                     "  let t = \"Once upon a time, there was a girl named Lily.\";\n"
                     "  let a = tokenize(server, t);\n"
                     "  let b = tokenize(local, t);\n"
                     "  len(a) > 5 && fold(range(len(a)), len(a) == len(b), fn(ok, i) { ok && a[i] == b[i] })\n"
                     "}\n",
                 "f") == 1);
  // A server without /tokenize (the OpenAI API): 404, said so.
  borel::llm::test::FakeHttpServer openai([](int, const std::string&) {
    return borel::llm::test::FakeReply{
        borel::llm::test::FakeHttpServer::response(404, "{\"error\": {\"message\": \"not found\"}}"), {}, false};
  });
  try {
    value_of("fn f() -> [int] {\n  tokenize(llm_server(\"" + openai.base_url() + "\"), \"a cat\")\n}\n", "f");
    FAIL("tokenize on a server without /tokenize did not fail");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.find("server.brl:2") != std::string::npos);
    CHECK(e.message.find("has no POST /tokenize") != std::string::npos);
    CHECK(e.message.find(openai.base_url()) != std::string::npos);
  }
}
