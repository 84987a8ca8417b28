// EngineEndpoints.h — the OpenAI API served from the embedded engine, without
// the network: a request's method, path and JSON body in; a status and a JSON
// body out. OpenAiServer puts it on a socket; tests may call it directly.
//
//   POST /v1/completions       prompt (string, array of strings, or array of
//                              token ids), max_tokens (default 16; null = to
//                              the context's end), temperature, top_p, top_k,
//                              stop, logprobs (0-20), echo, seed
//   POST /v1/chat/completions  messages, max_tokens / max_completion_tokens,
//                              temperature, top_p, top_k, stop, logprobs,
//                              top_logprobs, seed (ChatTemplate.h formats the
//                              messages)
//   GET  /v1/models, GET /health
//
// Log-probabilities are the model's own (before temperature, top-k, top-p),
// the same numbers BatchDecoder::score gives, written with round-trip digits.
// With echo, the prompt's tokens come first, the first with a null
// log-probability, as OpenAI does. text_offset counts characters of the
// returned text (prompt + completion with echo, else from the prompt's end).
//
// Errors are OpenAI-shaped: {"error": {"message", "type", "param", "code"}}
// with 400 for a bad request (and for features not implemented: streaming,
// n > 1, penalties, logit_bias), 404 / 405 for an unknown path or method, 500
// for an engine failure.
//
// Thread safety: handle() may run on any number of threads at once; each call
// decodes with its own cache and decoder over the shared, immutable Model.
#pragma once

#include "Model.h"

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace borel::llm::http {

struct EndpointReply {
  unsigned status = 200;
  std::string body;  // JSON
};

class EngineEndpoints {
public:
  EngineEndpoints(std::shared_ptr<const Model> model, std::string model_name);

  EndpointReply handle(std::string_view method, std::string_view target, std::string_view body) const;

  const std::string& model_name() const { return name_; }

private:
  std::shared_ptr<const Model> model_;
  std::string name_;
  mutable std::atomic<unsigned long> next_id_{0};
};

}  // namespace borel::llm::http
