// `borel lm serve` (OpenAiServer) against the embedded engine it serves: the
// same text scored over HTTP and in process gives the same log-probabilities,
// bit for bit (the server writes round-trip digits and the client reads them
// with correct rounding); greedy generation over HTTP is the engine's greedy
// path; echo follows OpenAI (first token null); bad requests get 4xx with a
// message. Needs stories260K (skipped without it, as the other model tests).
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "EngineEndpoints.h"
#include "OpenAiClient.h"
#include "OpenAiServer.h"
#include "Sampling.h"
#include "TestModel.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <cmath>

using namespace borel::llm;
using namespace borel::llm::http;
using namespace borel::llm::test;

namespace {

// log p(continuation | prompt) in process, as `borel lm score` computes it:
// the continuation's tokens are those of prompt + continuation after the
// prompt's own.
ScoreResult embedded_score(const std::shared_ptr<const Model>& m, const std::string& prompt, const std::string& cont,
                           std::vector<TokenId>* cont_ids = nullptr) {
  const Tokenizer& tok = m->tokenizer();
  const auto p_ids = tok.encode(prompt), all = tok.encode(prompt + cont);
  size_t common = 0;
  while (common < p_ids.size() && common < all.size() && p_ids[common] == all[common]) ++common;
  std::vector<TokenId> ctx(all.begin(), all.begin() + long(common)), rest(all.begin() + long(common), all.end());
  KvCache cache(m->config(), 16, 0, KvType::F32);  // as the server computes (EngineEndpoints.cpp)
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  dec.prefill(s, ctx);
  if (cont_ids) *cont_ids = rest;
  return dec.score(s, rest);
}

ClientOptions client_options(const OpenAiServer& server) {
  ClientOptions o;
  o.base_url = server.base_url();
  return o;
}

const std::vector<std::pair<std::string, std::string>>& texts() {
  static const std::vector<std::pair<std::string, std::string>> t = {
      {"Once upon a time", ", there was a little girl named Lily."},
      {"Once upon a time", ", there"},
      {"The cat sat", " on the mat and looked at the big red ball."},
      {"Lily and Ben", " went to the park. They saw a dog!"},
      {"", "Hello"},
      {"One day", ""},
  };
  return t;
}

}  // namespace

TEST_CASE("http server: HTTP scores equal embedded scores exactly") {
  auto m = test_model();
  if (!m) return;
  OpenAiServer server(m, {});
  OpenAiClient client(client_options(server));
  for (const auto& [prompt, cont] : texts()) {
    CAPTURE(prompt);
    CAPTURE(cont);
    std::vector<TokenId> ids;
    const ScoreResult want = embedded_score(m, prompt, cont, &ids);
    const ScoredText got = client.score(prompt, cont);
    REQUIRE(got.token_logprobs.size() == want.token_logprobs.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      CHECK(got.token_logprobs[i] == want.token_logprobs[i]);  // bit for bit
      CHECK(got.tokens[i] == m->tokenizer().token_to_piece(ids[i]));
    }
    CHECK(got.total == want.total);
  }
  // The golden sentence, against llama.cpp's total.
  const Json& sl = (*golden())["sequence_logprob"];
  const std::string text = sl["text"].str;
  const ScoredText all = client.score("", text);
  CHECK(std::abs(all.total - sl["total_logprob"].num) <= 1e-3);
}

TEST_CASE("http server: a concurrent batch of 32 scores, all answered and exact") {
  auto m = test_model();
  if (!m) return;
  ServerOptions so;
  so.threads = 2;
  OpenAiServer server(m, so);
  ClientOptions co = client_options(server);
  co.max_connections = 4;
  OpenAiClient client(co);
  std::vector<ScoreRequest> reqs;
  for (int i = 0; i < 32; ++i) {
    const auto& [p, c] = texts()[size_t(i) % texts().size()];
    reqs.push_back({p, c + std::string(size_t(i / int(texts().size())), '!')});
  }
  const auto out = client.score_many(reqs);
  REQUIRE(out.size() == 32);
  for (size_t i = 0; i < out.size(); ++i) {
    REQUIRE(out[i].ok());
    CHECK(out[i].value().total == embedded_score(m, reqs[i].prompt, reqs[i].continuation).total);
  }
}

TEST_CASE("http server: greedy completion is the engine's greedy path, with its log-probabilities") {
  auto m = test_model();
  if (!m) return;
  OpenAiServer server(m, {});
  OpenAiClient client(client_options(server));
  CompletionRequest r;
  r.prompt = "Once upon a time";
  r.max_tokens = 12;
  r.temperature = 0;
  r.logprobs = 2;
  const CompletionResult got = client.complete(r);
  CHECK(got.text == ", there was a little girl named Lily. She");
  CHECK(got.finish_reason == "length");
  CHECK(got.prompt_tokens == long(m->tokenizer().encode(r.prompt).size()));
  CHECK(got.completion_tokens == 12);
  // The engine's own greedy decode.
  KvCache cache(m->config(), 16, 0, KvType::F32);  // as the server computes (EngineEndpoints.cpp)
  BatchDecoder dec(m, cache);
  Sequence s = cache.new_sequence();
  auto logits = dec.prefill(s, m->tokenizer().encode(r.prompt));
  REQUIRE(got.token_logprobs.size() == 12);
  size_t offset = r.prompt.size();
  for (size_t i = 0; i < 12; ++i) {
    const TokenId t = argmax(logits);
    CHECK(got.tokens[i] == m->tokenizer().token_to_piece(t));
    CHECK(*got.token_logprobs[i] == log_softmax_at(logits, t));
    CHECK(got.text_offset[i] == offset);  // from the end of the prompt
    offset += got.tokens[i].size();
    REQUIRE(got.top_logprobs[i].size() == 2);
    CHECK(got.top_logprobs[i][0].first == got.tokens[i]);  // greedy: the most probable
    CHECK(got.top_logprobs[i][0].second == *got.token_logprobs[i]);
    CHECK(got.top_logprobs[i][1].second <= got.top_logprobs[i][0].second);
    TokenId next[1] = {t};
    logits = dec.prefill(s, next);
  }
  // Stop strings cut the text before them.
  r.stop = {" girl"};
  const CompletionResult cut = client.complete(r);
  CHECK(cut.text == ", there was a little");
  CHECK(cut.finish_reason == "stop");
  // Seeded sampling is reproducible.
  r.stop = {};
  r.temperature = 1;
  r.seed = 42;
  CHECK(client.complete(r).text == client.complete(r).text);
}

TEST_CASE("http server: echo returns the prompt's tokens, the first with a null log-probability") {
  auto m = test_model();
  if (!m) return;
  OpenAiServer server(m, {});
  OpenAiClient client(client_options(server));
  CompletionRequest r;
  r.prompt = "Once upon a time";
  r.max_tokens = 0;
  r.logprobs = 0;
  r.echo = true;
  const CompletionResult got = client.complete(r);
  const auto ids = m->tokenizer().encode(r.prompt);
  CHECK(got.text == r.prompt);
  REQUIRE(got.tokens.size() == ids.size());
  CHECK(got.tokens[0] == "<s>");
  CHECK(!got.token_logprobs[0]);
  const std::vector<size_t> offsets = {0, 0, 4, 9, 11};  // <s>, "Once", " upon", " a", " time"
  CHECK(got.text_offset == offsets);
  const ScoreResult want = embedded_score(m, "", r.prompt);
  for (size_t i = 1; i < ids.size(); ++i) CHECK(*got.token_logprobs[i] == want.token_logprobs[i - 1]);
}

TEST_CASE("http server: chat completions") {
  auto m = test_model();
  if (!m) return;
  OpenAiServer server(m, {});
  OpenAiClient client(client_options(server));
  ChatRequest r;
  r.messages = {{"system", "A story."}, {"user", "Tell me about Lily."}};
  r.max_tokens = 8;
  r.temperature = 0;
  r.logprobs = true;
  r.top_logprobs = 3;
  const CompletionResult got = client.chat(r);
  CHECK(!got.text.empty());
  CHECK(got.completion_tokens >= 1);
  CHECK(got.token_logprobs.size() == size_t(got.completion_tokens));
  for (size_t i = 0; i < got.token_logprobs.size(); ++i) {
    REQUIRE(got.token_logprobs[i]);
    CHECK(*got.token_logprobs[i] <= 0);
    CHECK(got.top_logprobs[i].size() == 3);
  }
  r.messages = {{"wizard", "hi"}};
  HttpError e = [&] {
    try {
      client.chat(r);
    } catch (const HttpError& e) {
      return e;
    }
    FAIL("accepted an unknown role");
    return HttpError(HttpError::Kind::Usage, "", "");
  }();
  CHECK(e.status() == 400);
  CHECK(e.server_message().find("messages[0].role") != std::string::npos);
}

TEST_CASE("http server: bad requests get OpenAI-shaped 4xx answers") {
  auto m = test_model();
  if (!m) return;
  EngineEndpoints ep(m, "stories");
  auto message = [](const EndpointReply& r) {
    return std::string(boost::json::parse(r.body).at("error").at("message").as_string());
  };
  EndpointReply r = ep.handle("POST", "/v1/completions", "{\"prompt\": \"x\",, }");
  CHECK(r.status == 400);
  CHECK(message(r).find("line 1, column 16") != std::string::npos);
  r = ep.handle("POST", "/v1/completions", R"({"prompt": "x", "stream": true})");
  CHECK(r.status == 400);
  CHECK(message(r).find("stream") != std::string::npos);
  r = ep.handle("POST", "/v1/completions", R"({"prompt": "x", "n": 2})");
  CHECK(r.status == 400);
  r = ep.handle("POST", "/v1/completions", R"({"prompt": "x", "temperature": -1})");
  CHECK(r.status == 400);
  CHECK(boost::json::parse(r.body).at("error").at("param") == "temperature");
  r = ep.handle("POST", "/v1/completions", R"({"prompt": [1, 2, 99999]})");
  CHECK(r.status == 400);
  r = ep.handle("POST", "/v1/completions", R"({"max_tokens": 3})");
  CHECK(r.status == 400);
  CHECK(message(r).find("prompt: required") != std::string::npos);
  r = ep.handle("GET", "/v1/completions", "");
  CHECK(r.status == 405);
  r = ep.handle("POST", "/v2/anything", "{}");
  CHECK(r.status == 404);
  r = ep.handle("GET", "/v1/models", "");
  CHECK(r.status == 200);
  CHECK(boost::json::parse(r.body).at("data").at(0).at("id") == "stories");
  // A prompt as token ids, and several prompts in one request.
  r = ep.handle("POST", "/v1/completions", R"({"prompt": [1, 100, 200], "max_tokens": 2, "temperature": 0})");
  CHECK(r.status == 200);
  r = ep.handle("POST", "/v1/completions", R"({"prompt": ["a", "b", "c"], "max_tokens": 1})");
  REQUIRE(r.status == 200);
  CHECK(boost::json::parse(r.body).at("choices").as_array().size() == 3);
}

TEST_CASE("http server: listens on loopback by default; a raw malformed request gets 400, not a crash") {
  auto m = test_model();
  if (!m) return;
  OpenAiServer server(m, {});
  CHECK(server.base_url().starts_with("http://127.0.0.1:"));
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
  const std::string junk = "GARBAGE / NOT-HTTP\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(junk));
  std::string reply;
  boost::system::error_code ec;
  boost::asio::read(s, boost::asio::dynamic_buffer(reply), ec);  // until the server closes
  CHECK(reply.starts_with("HTTP/1.1 400"));
  // And the server still serves.
  OpenAiClient client(client_options(server));
  CHECK(client.score("Once upon a time", ", there").tokens.size() == 2);
}
