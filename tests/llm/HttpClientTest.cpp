// The OpenAI-compatible client against a scripted fake server: every failure
// a real server or network can produce (slow, cut off, 5xx, 4xx, garbage,
// refused, a kept-alive connection closed) ends in the documented result or
// HttpError, with the documented number of attempts; batches lose nothing.
// Also the exact-rounding JSON reader and base-URL parsing. No model needed.
#include <doctest/doctest.h>

#include "FakeHttpServer.h"
#include "JsonParse.h"
#include "OpenAiClient.h"
#include "Url.h"

#include <boost/json.hpp>

#include <chrono>
#include <cstring>
#include <random>

using namespace borel::llm;
using namespace borel::llm::http;
using borel::llm::test::FakeHttpServer;
using borel::llm::test::FakeReply;
using Kind = HttpError::Kind;
using namespace std::chrono_literals;

namespace {

std::string completion_json(const std::string& text) {
  return R"({"id":"x","object":"text_completion","choices":[{"index":0,"text":")" + text +
         R"(","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})";
}

FakeReply ok(const std::string& text) { return {FakeHttpServer::response(200, completion_json(text))}; }

// Fast backoff so that retry tests take milliseconds.
ClientOptions options(const FakeHttpServer& s, int retries = 2) {
  ClientOptions o;
  o.base_url = s.base_url();
  o.max_retries = retries;
  o.backoff_initial = 5ms;
  o.backoff_max = 20ms;
  o.request_timeout = 5s;
  return o;
}

CompletionRequest req(const std::string& prompt = "hi") {
  CompletionRequest r;
  r.prompt = prompt;
  return r;
}

// Runs f, which must throw HttpError; returns it.
template <class F>
HttpError error_of(F&& f) {
  try {
    f();
  } catch (const HttpError& e) {
    return e;
  }
  FAIL("no HttpError was thrown");
  return HttpError(Kind::Usage, "", "");
}

}  // namespace

TEST_CASE("http json: numbers read back exactly, errors are located") {
  // Boost 1.81's own parser gets about one double in five wrong by an ulp;
  // parse_json must return every double the serializer wrote, bit for bit.
  std::mt19937_64 rng(7);
  int wrong = 0;
  for (int i = 0; i < 200000; ++i) {
    double x;
    if (i % 2) {
      x = -double(rng() >> 11) * 0x1.0p-53 * 30;  // log-probability-like
    } else {
      uint64_t bits;
      do {
        bits = rng();
        std::memcpy(&x, &bits, sizeof x);
      } while (!std::isfinite(x));
    }
    const boost::json::value v = parse_json(boost::json::serialize(boost::json::value(x)));
    const double y = v.is_double() ? v.get_double() : double(v.as_int64());
    wrong += y != x;
  }
  CHECK(wrong == 0);
  CHECK(parse_json("[1, -2, 18446744073709551615, 0.1]").as_array()[3].as_double() == 0.1);

  try {
    parse_json("{\"a\": [1, 2,, 3]}");
    FAIL("accepted bad JSON");
  } catch (const JsonParseError& e) {
    CHECK(e.offset() == 12);
    CHECK(std::string(e.what()).find("line 1, column 13") != std::string::npos);
  }
  try {
    parse_json("{\n \"a\": [1");
    FAIL("accepted truncated JSON");
  } catch (const JsonParseError& e) {
    CHECK(std::string(e.what()).find("truncated JSON") != std::string::npos);
    CHECK(std::string(e.what()).find("line 2") != std::string::npos);
  }
  CHECK_THROWS_AS(parse_json("{} x"), JsonParseError);
  CHECK_THROWS_AS(parse_json(""), JsonParseError);
  CHECK_THROWS_AS(parse_json(std::string("\"\xff\"")), JsonParseError);  // invalid UTF-8
}

TEST_CASE("http url: base URLs") {
  Url u = Url::parse("http://127.0.0.1:8000/v1/");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8000);
  CHECK(u.path == "/v1");
  CHECK(u.str("/completions") == "http://127.0.0.1:8000/v1/completions");
  u = Url::parse("http://[::1]:9/v1");
  CHECK(u.host == "::1");
  CHECK(u.host_header() == "[::1]:9");
  CHECK(Url::parse("http://localhost").port == 80);
  for (const char* bad : {"https://x/v1", "ftp://x", "http://", "http://x:0", "http://x:65536", "http://x:1a", "http://x:/v1",
                          "http://[::1/v1", "http://x/v1?q=1"})
    CHECK_THROWS_AS(Url::parse(bad), HttpError);
}

TEST_CASE("http client: a result, and connections kept alive between calls") {
  FakeHttpServer s([](int n, const std::string& body) {
    CHECK(body.find("\"prompt\":\"p") != std::string::npos);
    return ok("answer " + std::to_string(n));
  });
  OpenAiClient c(options(s));
  CHECK(c.complete(req("p1")).text == "answer 0");
  const CompletionResult r = c.complete(req("p2"));
  CHECK(r.text == "answer 1");
  CHECK(r.finish_reason == "length");
  CHECK(r.prompt_tokens == 3);
  CHECK(r.completion_tokens == 2);
  CHECK(s.connections() == 1);
}

TEST_CASE("http client: a slow server is a timeout error") {
  FakeHttpServer s([](int, const std::string&) {
    FakeReply r = ok("late");
    r.delay = 1500ms;
    return r;
  });
  ClientOptions o = options(s, 1);
  o.request_timeout = 150ms;
  OpenAiClient c(o);
  const auto t0 = std::chrono::steady_clock::now();
  HttpError e = error_of([&] { c.complete(req()); });
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(e.kind() == Kind::Timeout);
  CHECK(e.attempts() == 2);  // timeouts are retried
  CHECK(e.url() == s.base_url() + "/completions");
  CHECK(std::string(e.what()).find("150 ms") != std::string::npos);
  CHECK(took < 1400ms);  // two attempts of 150 ms plus backoff, not the server's 1.5 s
}

TEST_CASE("http client: a body cut short is retried, then an error") {
  FakeHttpServer s([](int, const std::string&) {
    std::string full = FakeHttpServer::response(200, completion_json("truncated"));
    return FakeReply{full.substr(0, full.size() - 20), 0ms, true};
  });
  OpenAiClient c(options(s, 2));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Protocol);
  CHECK(e.attempts() == 3);
  CHECK(s.requests() == 3);
  CHECK(std::string(e.what()).find("middle of the response") != std::string::npos);
}

TEST_CASE("http client: HTTP 500 then success is retried and succeeds") {
  FakeHttpServer s([](int n, const std::string&) {
    if (n == 0) return FakeReply{FakeHttpServer::response(500, R"({"error":{"message":"overloaded"}})")};
    return ok("second time");
  });
  OpenAiClient c(options(s, 2));
  CHECK(c.complete(req()).text == "second time");
  CHECK(s.requests() == 2);
}

TEST_CASE("http client: always 500 is an error after max_retries, with the server's message") {
  FakeHttpServer s([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(503, R"({"error":{"message":"model is loading","type":"server_error"}})")};
  });
  OpenAiClient c(options(s, 3));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Status);
  CHECK(e.status() == 503);
  CHECK(e.server_message() == "model is loading");
  CHECK(e.attempts() == 4);
  CHECK(s.requests() == 4);
  const std::string what = e.what();
  CHECK(what.find(s.base_url() + "/completions") != std::string::npos);
  CHECK(what.find("503") != std::string::npos);
  CHECK(what.find("model is loading") != std::string::npos);
}

TEST_CASE("http client: 4xx is not retried") {
  FakeHttpServer s([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(400, R"({"error":{"message":"max_tokens is too large"}})")};
  });
  OpenAiClient c(options(s, 3));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Status);
  CHECK(e.status() == 400);
  CHECK(e.attempts() == 1);
  CHECK(s.requests() == 1);
  CHECK(e.server_message() == "max_tokens is too large");
}

TEST_CASE("http client: 429 is retried after the server's Retry-After") {
  FakeHttpServer s([](int n, const std::string&) {
    if (n == 0) return FakeReply{FakeHttpServer::response(429, R"({"error":"slow down"})", "Retry-After: 0\r\n")};
    return ok("ok");
  });
  OpenAiClient c(options(s, 1));
  CHECK(c.complete(req()).text == "ok");
  CHECK(s.requests() == 2);
}

TEST_CASE("http client: garbage JSON is a located error, not retried") {
  FakeHttpServer s([](int, const std::string&) { return FakeReply{FakeHttpServer::response(200, "{\"choices\": [{\"text\": nope}]}")}; });
  OpenAiClient c(options(s, 3));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Json);
  CHECK(e.attempts() == 1);
  // The first byte that cannot continue the document: the 'n' of "nope".
  CHECK(std::string(e.what()).find("line 1, column 23 (byte 22), near \"choices\": [{\"text\": <here>nope}]}\"") !=
        std::string::npos);
}

TEST_CASE("http client: JSON of the wrong shape names the field") {
  FakeHttpServer s([](int n, const std::string&) {
    if (n == 0) return FakeReply{FakeHttpServer::response(200, R"({"choices":[{"text":5}]})")};
    if (n == 1) return FakeReply{FakeHttpServer::response(200, R"({"choices":[]})")};
    return FakeReply{FakeHttpServer::response(
        200, R"({"choices":[{"text":"a","logprobs":{"tokens":["a","b"],"token_logprobs":[-1,"x"]}}]})")};
  });
  OpenAiClient c(options(s, 0));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Response);
  CHECK(std::string(e.what()).find("choices[0].text: expected a string, got int64") != std::string::npos);
  e = error_of([&] { c.complete(req()); });
  CHECK(std::string(e.what()).find("no choice") != std::string::npos);
  e = error_of([&] { c.complete(req()); });
  CHECK(std::string(e.what()).find("choices[0].logprobs.token_logprobs[1]: expected a number or null") != std::string::npos);
}

TEST_CASE("http client: not HTTP at all is a protocol error") {
  FakeHttpServer s([](int, const std::string&) { return FakeReply{"SSH-2.0-OpenSSH_9.2\r\n\r\n", 0ms, true}; });
  OpenAiClient c(options(s, 0));
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Protocol);
}

TEST_CASE("http client: a refused connection is an error after the retries") {
  uint16_t port;
  {  // a port nothing listens on
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  ClientOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  o.max_retries = 2;
  o.backoff_initial = 1ms;
  o.backoff_max = 2ms;
  OpenAiClient c(o);
  HttpError e = error_of([&] { c.complete(req()); });
  CHECK(e.kind() == Kind::Connect);
  CHECK(e.attempts() == 3);
  CHECK(e.status() == 0);
  CHECK(std::string(e.what()).find("refused") != std::string::npos);
  // The batch form: every request gets its error.
  std::vector<CompletionRequest> reqs(5, req());
  auto out = c.complete_many(reqs);
  REQUIRE(out.size() == 5);
  for (const auto& r : out) CHECK((!r.ok() && r.error().kind() == Kind::Connect));
}

TEST_CASE("http client: a kept-alive connection the server dropped is reopened, not lost") {
  // The server answers each connection's first request and then closes it
  // without saying so (no "Connection: close"): the client's next request on
  // that connection finds it dead and must resend on a new one.
  FakeHttpServer s([](int n, const std::string&) {
    FakeReply r = ok("answer " + std::to_string(n));
    r.close = true;
    return r;
  });
  OpenAiClient c(options(s, 0));  // no retries: the resend is not one
  for (int i = 0; i < 4; ++i) {
    CHECK(c.complete(req()).text == "answer " + std::to_string(i));
    std::this_thread::sleep_for(20ms);  // let the close arrive
  }
  CHECK(s.connections() == 4);
}

TEST_CASE("http client: a concurrent batch of 32 is all answered, in order, on max_connections connections") {
  FakeHttpServer s([](int, const std::string& body) {
    // Echo the prompt back after a pause, so the batch only finishes early if
    // requests run concurrently.
    const size_t p = body.find("\"prompt\":\"") + 10;
    FakeReply r = ok(body.substr(p, body.find('"', p) - p));
    r.delay = 100ms;
    return r;
  });
  ClientOptions o = options(s);
  o.max_connections = 8;
  OpenAiClient c(o);
  std::vector<CompletionRequest> reqs;
  for (int i = 0; i < 32; ++i) reqs.push_back(req("prompt " + std::to_string(i)));
  const auto t0 = std::chrono::steady_clock::now();
  auto out = c.complete_many(reqs);
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(out.size() == 32);
  for (int i = 0; i < 32; ++i) {
    REQUIRE(out[size_t(i)].ok());
    CHECK(out[size_t(i)].value().text == "prompt " + std::to_string(i));
  }
  CHECK(s.connections() == 8);
  // 4 rounds of 100 ms on 8 connections; one after another would take 3.2 s.
  CHECK(took < 1600ms);
  MESSAGE("32 requests of 100 ms on 8 connections: " << std::chrono::duration<double>(took).count() << " s");
  // A second batch reuses the kept-alive connections.
  out = c.complete_many(reqs);
  CHECK(s.connections() == 8);
}

TEST_CASE("http client: in a batch, failures stay with their requests") {
  FakeHttpServer s([](int, const std::string& body) {
    if (body.find("bad") != std::string::npos)
      return FakeReply{FakeHttpServer::response(400, R"({"error":{"message":"bad prompt"}})")};
    if (body.find("cut") != std::string::npos) return FakeReply{"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"ch", 0ms, true};
    return ok("fine");
  });
  OpenAiClient c(options(s, 1));
  std::vector<CompletionRequest> reqs;
  for (int i = 0; i < 12; ++i) reqs.push_back(req(i % 3 == 1 ? "bad" : i % 3 == 2 ? "cut" : "good"));
  auto out = c.complete_many(reqs);
  REQUIRE(out.size() == 12);
  for (int i = 0; i < 12; ++i) {
    const auto& r = out[size_t(i)];
    if (i % 3 == 0) {
      REQUIRE(r.ok());
      CHECK(r.value().text == "fine");
    } else if (i % 3 == 1) {
      REQUIRE(!r.ok());
      CHECK(r.error().status() == 400);
      CHECK(r.error().attempts() == 1);
    } else {
      REQUIRE(!r.ok());
      CHECK(r.error().kind() == Kind::Protocol);
      CHECK(r.error().attempts() == 2);
      CHECK_THROWS_AS(r.value(), HttpError);
    }
  }
  CHECK(s.requests() == 4 + 4 + 8);
}

TEST_CASE("http client: bad options are usage errors") {
  ClientOptions o;
  o.base_url = "https://example.com/v1";
  CHECK_THROWS_AS(OpenAiClient{o}, HttpError);
  o.base_url = "http://127.0.0.1:1/v1";
  o.max_retries = -1;
  CHECK_THROWS_AS(OpenAiClient{o}, HttpError);
  o.max_retries = 0;
  o.request_timeout = 0ms;
  CHECK_THROWS_AS(OpenAiClient{o}, HttpError);
}
