// ProcessRewardTest.cpp — process rewards from an external server
// (stdlib/lm/RewardServer.h): a particle filter over reasoning steps whose
// likelihood is the newest step's reward. A scripted server on a loopback
// port (tests/llm/FakeHttpServer.h) plays the reward model, with a
// deterministic reward: 0.9 for a step that ends in "4", else 0.2.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <cmath>
#include <string>

#include "FakeHttpServer.h"
#include "Steering.h"
#include "borel/Borel.h"
#include "inference/Smc.h"
#include "runtime/Model.h"

namespace {

namespace json = boost::json;
using borel::llm::test::FakeHttpServer;
using borel::llm::test::FakeReply;

double reward(const std::string& step) { return !step.empty() && step.back() == '4' ? 0.9 : 0.2; }

// The reward model's answer to one request body, and how many requests
// carried steps (concurrency shows in the server's connection count).
struct RewardModel {
  std::atomic<int> scored{0};
  FakeReply operator()(int, const std::string& body) {
    const json::value v = json::parse(body);
    json::array scores;
    for (const json::value& s : v.at("steps").as_array()) scores.emplace_back(reward(std::string(s.as_string())));
    ++scored;
    return {FakeHttpServer::response(200, json::serialize(json::object{{"scores", scores}})), {}, false};
  }
};

// A particle filter over `steps` steps towards "2+2": each step is one of
// four candidates, weighed by the reward of the newest step. The result is
// the chosen candidates' indices.
std::string source(const std::string& url, int steps) {
  return "fn model() {\n"
         "  let rs = reward_server(\"" + url + "\");\n"
         "  let candidates = [\"2+2 = 4\", \"2+2 = 5\", \"so it is 4\", \"so it is 5\"];\n"
         "  fold(range(" + std::to_string(steps) + "), [], fn(chosen, i) {\n"
         "    let k = sample(categorical([0.25, 0.25, 0.25, 0.25]));\n"
         "    let now = chosen ++ [k];\n"
         "    observe(process_reward(rs, \"What is 2+2?\", map(now, fn(j) { candidates[j] })), true);\n"
         "    now\n"
         "  })\n"
         "}\n";
}

borel::inference::Population run(const std::string& src, int64_t particles, bool batched, double ess_threshold,
                                 int threads = 1) {
  borel::Program p = borel::Program::from_source("prm.brl", src, {"model"});
  auto model = p.model("model");
  borel::inference::SmcSettings s;
  s.particles = particles;
  s.batched = batched;
  s.ess_threshold = ess_threshold;
  return borel::inference::smc(*model, s, 3, threads);
}

const char* kCandidateEnds4[] = {"y", "n", "y", "n"};

}  // namespace

TEST_CASE("process_reward: each particle's weight is the product of its steps' rewards, exactly") {
  RewardModel rm;
  FakeHttpServer server([&](int n, const std::string& body) { return rm(n, body); });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/prm";
  // No resampling: the final log-weight is Σ log reward(step t).
  const auto pop = run(source(url, 3), 40, true, 0.0);
  for (int64_t i = 0; i < pop.size(); ++i) {
    const auto* a = borel::rt::to_ptr<const borel::rt::Array>(pop.slots()[i]);
    REQUIRE(a->len == 3);
    double lw = 0;
    for (int64_t t = 0; t < 3; ++t) lw += std::log(kCandidateEnds4[a->data[t]][0] == 'y' ? 0.9 : 0.2);
    CHECK(pop.log_weights()[i] == doctest::Approx(lw).epsilon(1e-15));
  }
  // One request per particle and step, sent concurrently: the client opened
  // several connections (it keeps them alive between rounds).
  CHECK(rm.scored == 40 * 3);
  CHECK(server.connections() > 1);
}

TEST_CASE("process_reward: batching changes no particle and no weight; the filter finds the right steps") {
  RewardModel rm;
  FakeHttpServer server([&](int n, const std::string& body) { return rm(n, body); });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/prm";
  const std::string src = source(url, 3);
  const auto a = run(src, 200, true, 1.0);
  const auto b = run(src, 200, false, 1.0);
  const auto c = run(src, 200, true, 1.0, 2);
  CHECK(borel::lm_test::same(a, b));
  CHECK(borel::lm_test::same(a, c));
  // The last step's weight depends on that step alone, so under the
  // posterior it ends in "4" with probability 2·0.9 / (2·0.9 + 2·0.2) =
  // 9/11. The weighted estimate from N = 200 particles has standard error
  // sqrt(p(1-p) / ESS) with ESS ≈ N (E w)² / E w² = 200 · 0.55² / 0.425
  // ≈ 142: 0.032; the tolerance is 4 of them.
  double num = 0, den = 0;
  for (int64_t i = 0; i < a.size(); ++i) {
    const auto* x = borel::rt::to_ptr<const borel::rt::Array>(a.slots()[i]);
    const double w = std::exp(a.log_weights()[i]);
    den += w;
    num += kCandidateEnds4[x->data[2]][0] == 'y' ? w : 0;
  }
  CHECK(std::abs(num / den - 9.0 / 11.0) < 4 * 0.032);
}

TEST_CASE("process_reward: a server's fault is an error located at the observe, naming the URL") {
  // Scores out of [0, 1].
  FakeHttpServer bad([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "{\"scores\": [1.5, 1.5, 1.5]}"), {}, false};
  });
  const std::string url = "http://127.0.0.1:" + std::to_string(bad.port()) + "/prm";
  for (bool batched : {true, false}) {
    try {
      run(source(url, 1), 4, batched, 1.0);
      FAIL("no error");
    } catch (const borel::rt::RuntimeError& e) {
      CHECK(e.where.rfind("prm.brl:7:", 0) == 0);
      CHECK(e.message.find(url) != std::string::npos);
      CHECK(e.message.find("score 1 is 1.5, but scores must be in [0, 1]") != std::string::npos);
    }
  }
  // An HTTP error status, with the server's message.
  FakeHttpServer refusing([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(400, "{\"error\": {\"message\": \"no such model\"}}"), {}, false};
  });
  const std::string url2 = "http://127.0.0.1:" + std::to_string(refusing.port()) + "/prm";
  try {
    run(source(url2, 1), 4, true, 1.0);
    FAIL("no error");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.rfind("prm.brl:7:", 0) == 0);
    CHECK(e.message.find("400") != std::string::npos);
    CHECK(e.message.find("no such model") != std::string::npos);
  }
  // An empty list of steps: an error where the distribution is made.
  try {
    run("fn model() { observe(process_reward(reward_server(\"" + url + "\"), \"q\", []), true) }\n", 2, true, 1.0);
    FAIL("no error");
  } catch (const borel::rt::RuntimeError& e) {
    CHECK(e.where.rfind("prm.brl:1:", 0) == 0);
    CHECK(e.message.find("steps is empty") != std::string::npos);
  }
}
