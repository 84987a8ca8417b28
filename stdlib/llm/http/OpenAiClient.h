// OpenAiClient.h — the LLM operations of the embedded engine, against an
// OpenAI-compatible HTTP server (vLLM, llama.cpp's server, Ollama, or
// `borel lm serve`).
//
//   ClientOptions opt;
//   opt.base_url = "http://127.0.0.1:8000/v1";
//   OpenAiClient client(opt);
//   CompletionRequest req;
//   req.prompt = "Once upon a time";
//   req.max_tokens = 32;
//   req.logprobs = 0;                                  // the tokens' log-probabilities too
//   CompletionResult r = client.complete(req);
//   ScoredText s = client.score("Once upon a time", ", there was a girl");   // log p(continuation | prompt)
//   auto many = client.complete_many(requests);   // concurrently, on max_connections connections
//
// Endpoints: POST {base}/completions and {base}/chat/completions.
//
// Guarantees:
//  - complete/chat/score return a result or throw HttpError (never crash on
//    a refused connection, a timeout, a cut-off or malformed response); the
//    error names the URL, the HTTP status and the server's error message.
//  - the *_many calls return one Outcome per request, in request order, each
//    a result or an HttpError: no request is lost, and one failure does not
//    affect the others.
//  - connection errors, timeouts, 5xx and 429 are retried up to max_retries
//    times with exponential backoff; other 4xx and malformed 2xx bodies are
//    not. A kept-alive connection the server closed while idle is reopened
//    and the request resent without counting as a retry.
//  - numbers are read with correct rounding, so log-probabilities the server
//    writes with round-trip digits arrive as the same doubles.
//
// Threads: a client may be shared; calls from several threads are served one
// after another (use the *_many calls for concurrency). Connections are kept
// alive between calls.
#pragma once

#include "HttpError.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace boost::json {
class value;
}

namespace borel::llm::http {

struct ClientOptions {
  // Endpoint paths are appended to it (OpenAI's convention: ".../v1").
  std::string base_url = "http://127.0.0.1:8080/v1";
  // The "model" field of every request; empty = omitted (llama.cpp's server and
  // `borel lm serve` serve one model and ignore it; vLLM wants its served name).
  std::string model;
  // Sent as "Authorization: Bearer <api_key>" when not empty.
  std::string api_key;
  // How many requests a *_many call has in flight at once (one connection each).
  size_t max_connections = 4;
  std::chrono::milliseconds connect_timeout{5000};
  // One attempt: connect, send, the server's work, receive.
  std::chrono::milliseconds request_timeout{120000};
  // Further attempts after a retryable failure. Before retry k (1, 2, ...) the
  // client waits backoff_initial * 2^(k-1), at most backoff_max, times a random
  // factor in [0.5, 1] (so that many clients do not retry in step).
  int max_retries = 3;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{5000};
  // A longer response body is an error (Kind::Protocol).
  size_t max_response_bytes = size_t(64) << 20;
};

// POST /completions. Fields left at their defaults are still sent, so the
// server's own defaults never apply (OpenAI's are the same).
struct CompletionRequest {
  std::string prompt;
  int max_tokens = 16;
  double temperature = 1.0;  // 0 = greedy
  double top_p = 1.0;
  std::optional<int> top_k;  // not OpenAI's; vLLM, llama.cpp and `borel lm serve` accept it
  std::vector<std::string> stop;
  // Token log-probabilities: nullopt = none; 0 = of the chosen tokens; n = also
  // the n most probable alternatives at each position (top_logprobs).
  std::optional<int> logprobs;
  // Return the prompt before the completion, with its tokens and their
  // log-probabilities (the first one null) when logprobs is set.
  bool echo = false;
  std::optional<int64_t> seed;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// POST /chat/completions.
struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::optional<int> max_tokens;  // nullopt = until the model stops
  double temperature = 1.0;
  double top_p = 1.0;
  std::vector<std::string> stop;
  bool logprobs = false;            // log-probabilities of the chosen tokens
  std::optional<int> top_logprobs;  // and of the n most probable alternatives
  std::optional<int64_t> seed;
};

// A completion or chat answer (the first choice).
struct CompletionResult {
  std::string text;           // echo: prompt + completion
  std::string finish_reason;  // "stop", "length", ... as the server says
  // When log-probabilities were asked for, one entry per token (echo: the
  // prompt's tokens first). A log-probability is nullopt where the server sends
  // null: the first echoed token, which has no context.
  std::vector<std::string> tokens;
  std::vector<std::optional<double>> token_logprobs;
  // Where each token starts in `text`, in characters (code points), when the
  // server says (completions; chat answers have none).
  std::vector<size_t> text_offset;
  // Per token: the alternatives the server listed, most probable first.
  std::vector<std::vector<std::pair<std::string, double>>> top_logprobs;
  // From "usage"; -1 when the server does not say.
  long prompt_tokens = -1, completion_tokens = -1;
};

// score(): log p(continuation | prompt).
struct ScoreRequest {
  std::string prompt;
  std::string continuation;
};

struct ScoredText {
  std::vector<std::string> tokens;     // the continuation's tokens
  std::vector<double> token_logprobs;  // log p(token | everything before it)
  double total = 0;                    // their sum
};

// A result or the error that prevented it.
template <class T>
class Outcome {
public:
  Outcome(T value) : v_(std::move(value)) {}
  Outcome(HttpError error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  // The result; throws the error when there is none.
  const T& value() const {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  // The error; only when !ok().
  const HttpError& error() const { return std::get<1>(v_); }

private:
  std::variant<T, HttpError> v_;
};

class OpenAiClient {
public:
  // Throws HttpError (Kind::Usage) on a malformed base URL or options.
  explicit OpenAiClient(ClientOptions options);
  ~OpenAiClient();
  OpenAiClient(const OpenAiClient&) = delete;
  OpenAiClient& operator=(const OpenAiClient&) = delete;

  const ClientOptions& options() const;

  CompletionResult complete(const CompletionRequest& request);
  std::vector<Outcome<CompletionResult>> complete_many(std::span<const CompletionRequest> requests);

  CompletionResult chat(const ChatRequest& request);
  std::vector<Outcome<CompletionResult>> chat_many(std::span<const ChatRequest> requests);

  // log p(continuation | prompt), token by token: one /completions request for
  // prompt + continuation with echo and logprobs. The continuation's tokens are
  // those of the whole text from the first one that ends past the prompt (a
  // token across the boundary counts as the continuation's, as `borel lm
  // score` does). Needs a server that returns echoed log-probabilities (vLLM,
  // `borel lm serve`; llama.cpp's server and Ollama do not: HttpError
  // Kind::Response says so).
  ScoredText score(std::string_view prompt, std::string_view continuation);
  std::vector<Outcome<ScoredText>> score_many(std::span<const ScoreRequest> requests);

  // Another JSON API on the same connections and with the same retries (a
  // reward server, stdlib/lm/RewardServer.h): POST {base}{endpoint} of each
  // body (JSON text), concurrently; each 2xx answer is handed to `decode`,
  // whose LlmError becomes that request's error (Kind::Response).
  using NumbersDecoder = std::function<std::vector<double>(const boost::json::value&)>;
  std::vector<Outcome<std::vector<double>>> post_many(const std::string& endpoint, std::span<const std::string> bodies,
                                                      const NumbersDecoder& decode);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace borel::llm::http
