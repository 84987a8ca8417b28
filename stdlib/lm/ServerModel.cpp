// ServerModel.cpp — see ServerModel.h.
#include "ServerModel.h"

#include <map>
#include <mutex>

#include "OpenAiClient.h"

namespace borel::lm {

std::shared_ptr<ServerModel> ServerModel::connect(const std::string& url, const std::string& model) {
  static std::mutex m;
  static std::map<std::pair<std::string, std::string>, std::shared_ptr<ServerModel>> connected;
  std::lock_guard<std::mutex> lock(m);
  auto& s = connected[{url, model}];
  if (!s) s = std::make_shared<ServerModel>(url, model);
  return s;
}

ServerModel::ServerModel(const std::string& url, const std::string& model) : url_(url) {
  llm::http::ClientOptions o;
  o.base_url = url;
  o.model = model;
  try {
    client_ = std::make_unique<llm::http::OpenAiClient>(o);
  } catch (const llm::http::HttpError& e) {
    throw llm::LlmError(std::string("llm_server: ") + e.what());
  }
}

ServerModel::~ServerModel() = default;

std::vector<double> ServerModel::text_logprobs(std::span<const TextPair> pairs) {
  std::vector<llm::http::ScoreRequest> rs;
  rs.reserve(pairs.size());
  for (const TextPair& p : pairs) rs.push_back({p.prompt, p.text});
  std::vector<double> out;
  out.reserve(pairs.size());
  // Every request is answered or failed (no request is lost); the first
  // failure is the error.
  for (const auto& o : client_->score_many(rs)) {
    if (!o.ok()) throw llm::LlmError(o.error().what());
    out.push_back(o.value().total);
  }
  return out;
}

std::string ServerModel::sample_text(const std::string& prompt, int64_t max_tokens, const std::string& stop,
                                     uint64_t seed) {
  llm::http::CompletionRequest r;
  r.prompt = prompt;
  r.max_tokens = static_cast<int>(max_tokens);
  r.temperature = 1.0;
  r.top_p = 1.0;
  if (!stop.empty()) r.stop.push_back(stop);
  // The server's seed field is a signed 64-bit integer.
  r.seed = static_cast<int64_t>(seed >> 1);
  try {
    return client_->complete(r).text;
  } catch (const llm::http::HttpError& e) {
    throw llm::LlmError(e.what());
  }
}

}  // namespace borel::lm
