// ServerModel.cpp — see ServerModel.h.
#include "ServerModel.h"

#include <boost/json.hpp>

#include <limits>
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
    std::string root = url;
    while (!root.empty() && root.back() == '/') root.pop_back();
    if (root.size() >= 3 && root.compare(root.size() - 3, 3, "/v1") == 0) root.resize(root.size() - 3);
    o.base_url = root;
    root_ = std::make_unique<llm::http::OpenAiClient>(o);
  } catch (const llm::http::HttpError& e) {
    throw llm::LlmError(std::string("llm_server: ") + e.what());
  }
}

std::vector<llm::TokenId> ServerModel::tokenize(const std::string& text) {
  const std::string body = boost::json::serialize(boost::json::object{{"content", text}, {"add_special", true}});
  const auto decode = [](const boost::json::value& v) {
    const boost::json::object* o = v.if_object();
    const boost::json::value* ts = o ? o->if_contains("tokens") : nullptr;
    if (!ts || !ts->is_array()) throw llm::LlmError("the answer has no \"tokens\" array");
    std::vector<double> ids;
    for (const boost::json::value& t : ts->as_array()) {
      if (!t.is_int64() || t.as_int64() < 0 || t.as_int64() > std::numeric_limits<llm::TokenId>::max())
        throw llm::LlmError("a token is not a token id: " + boost::json::serialize(t));
      ids.push_back(static_cast<double>(t.as_int64()));
    }
    return ids;
  };
  auto out = root_->post_many("/tokenize", {&body, 1}, decode);
  if (!out[0].ok()) {
    const llm::http::HttpError& e = out[0].error();
    if (e.status() == 404)
      throw llm::LlmError("tokenize: the server at " + url_ + " has no POST /tokenize (llama.cpp's server and "
                          "`borel lm serve` have one; the OpenAI API does not): " + e.what());
    throw llm::LlmError(std::string("tokenize: ") + e.what());
  }
  std::vector<llm::TokenId> ids;
  for (double t : out[0].value()) ids.push_back(static_cast<llm::TokenId>(t));
  return ids;
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
