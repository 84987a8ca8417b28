// OpenAiWire.h — the client's side of the OpenAI wire format: request bodies
// out, results in.
//
// The readers accept what the servers in use send: OpenAI's and vLLM's
// completion logprobs ({tokens, token_logprobs, top_logprobs, text_offset}),
// and the chat form ({content: [{token, logprob, top_logprobs}]}) that chat
// answers, and llama.cpp's server for completions, use. A response of any
// other shape is a ResponseShapeError naming the JSON path that was wrong
// ("choices[0].logprobs.token_logprobs[3]: expected a number or null").
#pragma once

#include "OpenAiClient.h"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace borel::llm::http {

class ResponseShapeError : public LlmError {
public:
  explicit ResponseShapeError(const std::string& what) : LlmError(what) {}
};

std::string completion_body(const CompletionRequest& r, const std::string& model);
std::string chat_body(const ChatRequest& r, const std::string& model);
// The /completions request that scores a continuation.
CompletionRequest score_request(std::string_view prompt, std::string_view continuation);

CompletionResult read_completion(const boost::json::value& v);
CompletionResult read_chat(const boost::json::value& v);
// Picks the continuation's tokens out of score_request's echoed result.
ScoredText read_score(const CompletionResult& r, std::string_view prompt, std::string_view continuation);

// The message in an error body: {"error": {"message": ...}} (OpenAI, vLLM,
// llama.cpp), {"error": "..."} (Ollama), {"message": ...}, {"detail": ...};
// else the body itself, shortened.
std::string server_error_message(std::string_view body);

}  // namespace borel::llm::http
