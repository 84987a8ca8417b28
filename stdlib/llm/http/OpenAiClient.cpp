#include "OpenAiClient.h"

#include "HttpConnection.h"
#include "JsonParse.h"
#include "OpenAiWire.h"
#include "Url.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>

namespace borel::llm::http {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Kind = HttpError::Kind;

// The body of one answered request, or why there is none.
using Reply = std::variant<json::value, HttpError>;

struct OpenAiClient::Impl {
  ClientOptions opt;
  Url url;
  std::mutex mu;  // one call at a time; the rest below is the call's
  asio::io_context ioc{1};
  std::vector<std::unique_ptr<HttpConnection>> idle;  // kept alive between calls
  std::mt19937_64 jitter{std::random_device{}()};

  struct Batch {
    std::string endpoint, full_url;
    const std::vector<std::string>* bodies;
    std::vector<std::optional<Reply>> out;
    size_t next = 0;
    tcp::resolver::results_type endpoints;
  };

  std::chrono::milliseconds backoff(int retry, const std::optional<double>& retry_after) {
    double d = double(opt.backoff_initial.count()) * std::ldexp(1.0, std::min(retry - 1, 30));
    d = std::min(d, double(opt.backoff_max.count()));
    d *= 0.5 + 0.5 * double(jitter() >> 11) * 0x1.0p-53;
    if (retry_after) d = std::max(d, std::min(*retry_after * 1000.0, double(opt.backoff_max.count())));
    return std::chrono::milliseconds(static_cast<long long>(d));
  }

  HttpRequestSpec spec(const Batch& b, const std::string& body) const {
    HttpRequestSpec s;
    s.url = b.full_url;
    s.host = url.host_header();
    s.target = url.path + b.endpoint;
    s.body = body;
    if (!opt.api_key.empty()) s.authorization = "Bearer " + opt.api_key;
    s.connect_timeout = opt.connect_timeout;
    s.request_timeout = opt.request_timeout;
    s.max_body = opt.max_response_bytes;
    return s;
  }

  // One request, with retries.
  asio::awaitable<Reply> send(HttpConnection& conn, Batch& b, size_t i) {
    const HttpRequestSpec s = spec(b, (*b.bodies)[i]);
    for (int attempt = 1;; ++attempt) {
      std::optional<HttpError> err;
      std::optional<double> retry_after;
      try {
        HttpResponse r = co_await conn.post(b.endpoints, s);
        if (r.status >= 200 && r.status < 300) {
          std::optional<Reply> reply;
          try {
            reply.emplace(parse_json(r.body));
          } catch (const JsonParseError& e) {
            reply.emplace(HttpError(Kind::Json, b.full_url, e.what(), int(r.status), {}, attempt));
          }
          co_return std::move(*reply);
        }
        err.emplace(Kind::Status, b.full_url, r.reason, int(r.status), server_error_message(r.body));
        retry_after = r.retry_after;
      } catch (const HttpError& e) {
        err = e;
      } catch (const std::exception& e) {
        conn.close();
        err.emplace(Kind::Protocol, b.full_url, e.what());
      }
      if (!err->retryable() || attempt > opt.max_retries) co_return Reply(err->with_attempts(attempt));
      asio::steady_timer t(ioc, backoff(attempt, retry_after));
      boost::system::error_code ignored;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  // Takes requests from the batch until none is left, on one connection.
  asio::awaitable<void> worker(Batch& b) {
    std::unique_ptr<HttpConnection> conn;
    if (!idle.empty()) {
      conn = std::move(idle.back());
      idle.pop_back();
    } else {
      conn = std::make_unique<HttpConnection>(ioc.get_executor());
    }
    for (size_t i; (i = b.next++) < b.out.size();) {
      try {
        b.out[i] = co_await send(*conn, b, i);
      } catch (const std::exception& e) {  // (send catches its own; this is a last guard)
        conn->close();
        b.out[i] = Reply(HttpError(Kind::Protocol, b.full_url, e.what()));
      }
    }
    if (conn->is_open()) idle.push_back(std::move(conn));
  }

  asio::awaitable<void> start(Batch& b) {
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    b.endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      HttpError e(Kind::Connect, b.full_url, "cannot resolve \"" + url.host + "\": " + ec.message());
      for (auto& o : b.out) o = Reply(e);
      co_return;
    }
    const size_t n = std::min(std::max<size_t>(1, opt.max_connections), b.out.size());
    for (size_t w = 0; w < n; ++w) asio::co_spawn(ioc, worker(b), asio::detached);
  }

  std::vector<Reply> post_many(const std::string& endpoint, const std::vector<std::string>& bodies) {
    std::lock_guard<std::mutex> lock(mu);
    Batch b;
    b.endpoint = endpoint;
    b.full_url = url.str(endpoint);
    b.bodies = &bodies;
    b.out.resize(bodies.size());
    if (!bodies.empty()) {
      ioc.restart();
      asio::co_spawn(ioc, start(b), asio::detached);
      try {
        ioc.run();
      } catch (const std::exception& e) {
        // Not expected (every coroutine catches its own); whatever is
        // unanswered below gets this error, and the connections are dropped.
        idle.clear();
        ioc.stop();
        for (auto& o : b.out)
          if (!o) o = Reply(HttpError(Kind::Protocol, b.full_url, std::string("internal error: ") + e.what()));
      }
    }
    std::vector<Reply> res;
    res.reserve(b.out.size());
    for (auto& o : b.out)
      res.push_back(o ? std::move(*o) : Reply(HttpError(Kind::Protocol, b.full_url, "internal error: no answer recorded")));
    return res;
  }

  // Decodes every reply; a body of the wrong shape becomes that request's error.
  template <class T, class Decode>
  std::vector<Outcome<T>> decode_all(const std::string& endpoint, std::vector<Reply> replies, Decode decode) {
    std::vector<Outcome<T>> out;
    out.reserve(replies.size());
    for (size_t i = 0; i < replies.size(); ++i) {
      if (auto* e = std::get_if<HttpError>(&replies[i])) {
        out.emplace_back(std::move(*e));
        continue;
      }
      try {
        out.emplace_back(decode(std::get<json::value>(replies[i]), i));
      } catch (const LlmError& e) {
        out.emplace_back(HttpError(Kind::Response, url.str(endpoint), e.what(), 200));
      }
    }
    return out;
  }
};

OpenAiClient::OpenAiClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->url = Url::parse(options.base_url);
  auto usage = [&](const std::string& why) { return HttpError(Kind::Usage, options.base_url, why); };
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0)
    throw usage("timeouts must be positive");
  if (options.max_retries < 0) throw usage("max_retries must be >= 0");
  if (options.backoff_initial.count() < 0 || options.backoff_max.count() < 0) throw usage("backoff delays must be >= 0");
  if (options.model.find_first_of("\r\n") != std::string::npos || options.api_key.find_first_of("\r\n") != std::string::npos)
    throw usage("the model name and API key may not contain line breaks");
  impl_->opt = std::move(options);
}

OpenAiClient::~OpenAiClient() = default;

const ClientOptions& OpenAiClient::options() const { return impl_->opt; }

std::vector<Outcome<CompletionResult>> OpenAiClient::complete_many(std::span<const CompletionRequest> requests) {
  std::vector<std::string> bodies;
  for (const auto& r : requests) bodies.push_back(completion_body(r, impl_->opt.model));
  return impl_->decode_all<CompletionResult>("/completions", impl_->post_many("/completions", bodies),
                                             [](const json::value& v, size_t) { return read_completion(v); });
}

CompletionResult OpenAiClient::complete(const CompletionRequest& request) {
  return complete_many({&request, 1})[0].value();
}

std::vector<Outcome<CompletionResult>> OpenAiClient::chat_many(std::span<const ChatRequest> requests) {
  std::vector<std::string> bodies;
  for (const auto& r : requests) bodies.push_back(chat_body(r, impl_->opt.model));
  return impl_->decode_all<CompletionResult>("/chat/completions", impl_->post_many("/chat/completions", bodies),
                                             [](const json::value& v, size_t) { return read_chat(v); });
}

CompletionResult OpenAiClient::chat(const ChatRequest& request) { return chat_many({&request, 1})[0].value(); }

std::vector<Outcome<std::vector<double>>> OpenAiClient::post_many(const std::string& endpoint,
                                                                  std::span<const std::string> bodies,
                                                                  const NumbersDecoder& decode) {
  const std::vector<std::string> all(bodies.begin(), bodies.end());
  return impl_->decode_all<std::vector<double>>(endpoint, impl_->post_many(endpoint, all),
                                                [&](const json::value& v, size_t) { return decode(v); });
}

std::vector<Outcome<ScoredText>> OpenAiClient::score_many(std::span<const ScoreRequest> requests) {
  std::vector<std::string> bodies;
  for (const auto& r : requests)
    bodies.push_back(completion_body(score_request(r.prompt, r.continuation), impl_->opt.model));
  return impl_->decode_all<ScoredText>("/completions", impl_->post_many("/completions", bodies),
                                       [&](const json::value& v, size_t i) {
                                         return read_score(read_completion(v), requests[i].prompt,
                                                           requests[i].continuation);
                                       });
}

ScoredText OpenAiClient::score(std::string_view prompt, std::string_view continuation) {
  ScoreRequest r{std::string(prompt), std::string(continuation)};
  return score_many({&r, 1})[0].value();
}

}  // namespace borel::llm::http
