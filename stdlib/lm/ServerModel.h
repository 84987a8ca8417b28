// ServerModel.h — a language model behind an OpenAI-compatible HTTP server
// (vLLM, llama.cpp's server, Ollama, `borel lm serve`) as a Borel LM
// (LanguageModel.h): `llm_server(url, model)`.
//
// Text level only: text_logprobs is OpenAiClient::score (one /completions
// request with echo and logprobs per text, all of a batch in flight at once
// on the client's connections), sample_text is one /completions request at
// temperature 1 with no top-k/top-p cut and the draw's seed. The
// log-probabilities are the server's; `borel lm serve` computes them as the
// embedded engine does, so the same model gives the same numbers bit for bit
// (tests/lm/ServerModelTest.cpp). Token-level operations throw (see
// LanguageModel.h).
//
// Errors: an HTTP failure after the client's retries (refused, timeout,
// malformed answer, a server without echoed log-probabilities) is an LlmError
// carrying OpenAiClient's message (URL, status, the server's words).
#pragma once

#include <memory>
#include <string>

#include "LanguageModel.h"

namespace borel::llm::http {
class OpenAiClient;
}

namespace borel::lm {

class ServerModel final : public LanguageModel {
 public:
  // One per (url, model) for the process, like EmbeddedModel::load. `url` is
  // the API's base (".../v1"); `model` the "model" field of requests (empty:
  // omitted). Throws LlmError on a malformed URL.
  static std::shared_ptr<ServerModel> connect(const std::string& url, const std::string& model);
  ServerModel(const std::string& url, const std::string& model);
  ~ServerModel() override;

  const std::string& name() const override { return url_; }
  std::vector<double> text_logprobs(std::span<const TextPair> pairs) override;
  std::string sample_text(const std::string& prompt, int64_t max_tokens, const std::string& stop, uint64_t seed) override;
  // POST /tokenize at the server's root (the URL less its "/v1"), as
  // llama.cpp's server and `borel lm serve` offer it, with BOS
  // ("add_special"). A server without it: LlmError saying so.
  std::vector<llm::TokenId> tokenize(const std::string& text) override;

 private:
  std::string url_;
  std::unique_ptr<llm::http::OpenAiClient> client_;
  std::unique_ptr<llm::http::OpenAiClient> root_;  // the server's root, for /tokenize
};

}  // namespace borel::lm
