#include "EngineEndpoints.h"

#include "BatchDecoder.h"
#include "ChatTemplate.h"
#include "Error.h"
#include "JsonParse.h"
#include "KvCache.h"
#include "Sampling.h"
#include "Utf8.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <optional>
#include <random>

namespace borel::llm::http {

namespace json = boost::json;

namespace {

// A request the server will not serve: 400 with the parameter named.
struct RequestError : LlmError {
  RequestError(const std::string& param, const std::string& what) : LlmError(what), param(param) {}
  std::string param;
};

EndpointReply error_reply(unsigned status, const std::string& message, const char* type, const std::string& param = {}) {
  json::object e;
  e["message"] = message;
  e["type"] = type;
  e["param"] = param.empty() ? json::value(nullptr) : json::value(param);
  e["code"] = nullptr;
  return {status, json::serialize(json::object{{"error", std::move(e)}})};
}

// Checked access to a request's fields; null counts as absent.
class Fields {
public:
  explicit Fields(const json::object& o) : o_(o) {}

  const json::value* get(const char* key) const {
    const json::value* v = o_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
  }
  bool has(const char* key) const { return get(key) != nullptr; }

  double number(const char* key, double def, double lo, double hi) const {
    const json::value* v = get(key);
    if (!v) return def;
    double x;
    if (v->is_double())
      x = v->get_double();
    else if (v->is_int64())
      x = double(v->get_int64());
    else if (v->is_uint64())
      x = double(v->get_uint64());
    else
      throw RequestError(key, std::string(key) + ": expected a number");
    if (!(x >= lo && x <= hi))
      throw RequestError(key, std::string(key) + ": " + json::serialize(*v) + " is not in [" + fmt(lo) + ", " + fmt(hi) + "]");
    return x;
  }

  int64_t integer(const char* key, int64_t def, int64_t lo, int64_t hi) const {
    const json::value* v = get(key);
    if (!v) return def;
    int64_t x;
    if (v->is_int64())
      x = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX))
      x = int64_t(v->get_uint64());
    else if (v->is_double() && std::floor(v->get_double()) == v->get_double() && std::fabs(v->get_double()) < 9e18)
      x = int64_t(v->get_double());
    else
      throw RequestError(key, std::string(key) + ": expected an integer");
    if (x < lo || x > hi)
      throw RequestError(key, std::string(key) + ": " + std::to_string(x) + " is not in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
    return x;
  }

  bool boolean(const char* key, bool def) const {
    const json::value* v = get(key);
    if (!v) return def;
    if (!v->is_bool()) throw RequestError(key, std::string(key) + ": expected true or false");
    return v->get_bool();
  }

  // A string or an array of strings.
  std::vector<std::string> strings(const char* key) const {
    const json::value* v = get(key);
    std::vector<std::string> out;
    if (!v) return out;
    if (v->is_string()) {
      out.emplace_back(v->get_string());
    } else if (v->is_array()) {
      for (const auto& s : v->get_array()) {
        if (!s.is_string()) throw RequestError(key, std::string(key) + ": expected a string or an array of strings");
        out.emplace_back(s.get_string());
      }
    } else {
      throw RequestError(key, std::string(key) + ": expected a string or an array of strings");
    }
    return out;
  }

private:
  static std::string fmt(double x) {
    std::string s = json::serialize(json::value(x));
    return s;
  }
  const json::object& o_;
};

// Options OpenAI has and this server does not implement: refused rather than
// silently ignored, since they would change the answer.
void refuse_unsupported(const Fields& f) {
  if (f.boolean("stream", false)) throw RequestError("stream", "stream: streaming is not supported by borel lm serve");
  for (const char* k : {"n", "best_of"})
    if (f.integer(k, 1, 1, INT64_MAX) != 1)
      throw RequestError(k, std::string(k) + ": only 1 is supported by borel lm serve (send the request several times)");
  for (const char* k : {"presence_penalty", "frequency_penalty"})
    if (f.number(k, 0, -2, 2) != 0) throw RequestError(k, std::string(k) + ": penalties are not supported by borel lm serve");
  if (f.number("repetition_penalty", 1, 0, 1e9) != 1)
    throw RequestError("repetition_penalty", "repetition_penalty: not supported by borel lm serve");
  if (const json::value* lb = f.get("logit_bias"); lb && !(lb->is_object() && lb->get_object().empty()))
    throw RequestError("logit_bias", "logit_bias: not supported by borel lm serve");
  if (const json::value* s = f.get("suffix"); s && !(s->is_string() && s->get_string().empty()))
    throw RequestError("suffix", "suffix: not supported by borel lm serve");
}

struct GenParams {
  size_t max_tokens = 16;
  SamplingParams sampling;
  std::vector<std::string> stop;
  std::optional<uint64_t> seed;
};

void read_sampling(const Fields& f, GenParams& g) {
  g.sampling.temperature = f.number("temperature", 1.0, 0, 1e6);
  g.sampling.top_p = f.number("top_p", 1.0, 0, 1);
  if (g.sampling.top_p == 0) throw RequestError("top_p", "top_p: must be greater than 0");
  const int64_t k = f.integer("top_k", 0, -1, INT64_MAX);
  g.sampling.top_k = k <= 0 ? 0 : size_t(k);
  g.stop = f.strings("stop");
  if (g.stop.size() > 16) throw RequestError("stop", "stop: at most 16 stop strings");
  for (const auto& s : g.stop)
    if (s.empty()) throw RequestError("stop", "stop: a stop string may not be empty");
  if (f.has("seed")) g.seed = uint64_t(f.integer("seed", 0, INT64_MIN, INT64_MAX));
}

// One token: where it starts in the generated bytes, its log-probability, and
// the alternatives.
struct Step {
  TokenId id;
  size_t start;
  double logprob;
  std::vector<std::pair<TokenId, double>> top;
};

// The n most probable tokens after `logits` (lowest id on ties), with their
// log-probabilities computed as log_softmax_at computes them, so that the
// chosen token's entry equals its reported log-probability bit for bit.
std::vector<std::pair<TokenId, double>> top_n(std::span<const float> logits, size_t n) {
  std::vector<TokenId> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = TokenId(i);
  n = std::min(n, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + long(n), ids.end(), [&](TokenId a, TokenId b) {
    return logits[size_t(a)] > logits[size_t(b)] || (logits[size_t(a)] == logits[size_t(b)] && a < b);
  });
  std::vector<std::pair<TokenId, double>> out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(ids[i], log_softmax_at(logits, ids[i]));
  return out;
}

// The engine over one prompt: prefill (with the prompt's log-probabilities
// when asked), then sampling until max_tokens, EOS, a stop string or the end
// of the context.
class Run {
public:
  // An F32 KV cache (not the engine's F16 default): the scores served are
  // the model's F32 log-probabilities, the numbers the language's embedded
  // LM computes (stdlib/lm/EmbeddedModel.h), so HTTP and embedded agree bit
  // for bit (tests/lm/ServerModelTest.cpp).
  Run(const std::shared_ptr<const Model>& m)
      : model_(*m), cache_(m->config(), 16, 0, KvType::F32), dec_(m, cache_, 1) {}

  // Prompt tokens' log-probabilities (index 0 has none) and alternatives, when asked.
  std::vector<double> prompt_logprobs;
  std::vector<std::vector<std::pair<TokenId, double>>> prompt_top;
  // Generated tokens and their bytes (cut before a stop string).
  std::vector<Step> steps;
  std::string bytes;
  std::string finish_reason;

  void go(const std::vector<TokenId>& prompt, const GenParams& g, bool prompt_lp, size_t top) {
    const ModelConfig& cfg = model_.config();
    const size_t n_ctx = cfg.n_ctx_train;
    if (prompt.empty()) throw RequestError("prompt", "prompt: empty (and the model adds no BOS token)");
    if (prompt.size() > n_ctx)
      throw RequestError("prompt", "prompt: " + std::to_string(prompt.size()) + " tokens; the model's context holds " +
                                       std::to_string(n_ctx));
    for (TokenId t : prompt)
      if (t < 0 || size_t(t) >= cfg.n_vocab)
        throw RequestError("prompt", "prompt: token id " + std::to_string(t) + " is not in [0, " +
                                         std::to_string(cfg.n_vocab) + ")");
    Sequence s = cache_.new_sequence();
    std::vector<float> logits;
    if (prompt_lp) {
      BatchEntry e{&s, prompt, LogitsMode::All};
      LogitRows rows = dec_.eval({&e, 1});
      prompt_logprobs.assign(prompt.size(), 0.0);
      prompt_top.assign(prompt.size(), {});
      for (size_t i = 1; i < prompt.size(); ++i) {
        prompt_logprobs[i] = log_softmax_at(rows[i - 1], prompt[i]);
        if (top) prompt_top[i] = top_n(rows[i - 1], top);
      }
      logits.assign(rows[prompt.size() - 1].begin(), rows[prompt.size() - 1].end());
    } else {
      auto row = dec_.prefill(s, prompt);
      logits.assign(row.begin(), row.end());
    }
    std::mt19937_64 rng(g.seed ? *g.seed : std::random_device{}());
    const Tokenizer& tok = model_.tokenizer();
    size_t longest_stop = 0;
    for (const auto& st : g.stop) longest_stop = std::max(longest_stop, st.size());
    finish_reason = "length";
    for (size_t k = 0; k < g.max_tokens; ++k) {
      if (s.size() >= n_ctx) break;  // "length": the context is full
      Proposal q(logits, g.sampling);
      SampledToken t = q.sample(uniform01(rng));
      if (t.token == tok.vocab().eos) {
        finish_reason = "stop";
        break;
      }
      // log_softmax_at, as BatchDecoder::score computes it (Proposal's
      // logp_model may differ in the last bit).
      Step step{t.token, bytes.size(), log_softmax_at(logits, t.token), {}};
      if (top) step.top = top_n(logits, top);
      bytes += tok.token_to_piece(t.token, false);
      steps.push_back(std::move(step));
      if (cut_at_stop(g.stop, longest_stop)) {
        finish_reason = "stop";
        break;
      }
      if (k + 1 < g.max_tokens && s.size() < n_ctx) {
        TokenId next[1] = {t.token};
        auto row = dec_.prefill(s, next);
        logits.assign(row.begin(), row.end());
      }
    }
  }

private:
  // Cuts the text before the first stop string in it, and the tokens that
  // start at or after the cut. True when it cut.
  bool cut_at_stop(const std::vector<std::string>& stop, size_t longest) {
    if (stop.empty()) return false;
    const size_t last_start = steps.back().start;
    const size_t from = last_start >= longest ? last_start - longest + 1 : 0;
    size_t cut = std::string::npos;
    for (const auto& st : stop) cut = std::min(cut, bytes.find(st, from));
    if (cut == std::string::npos) return false;
    bytes.resize(cut);
    while (!steps.empty() && steps.back().start >= cut) steps.pop_back();
    return true;
  }

  const Model& model_;
  KvCache cache_;
  BatchDecoder dec_;
};

// A token's text for JSON: its bytes when they are valid UTF-8, else
// "bytes:\xNN..." as vLLM and OpenAI write partial characters.
std::string token_text(const Tokenizer& tok, TokenId id) {
  std::string piece = tok.token_to_piece(id, true);
  if (valid_utf8(piece)) return piece;
  static const char* hex = "0123456789abcdef";
  std::string out = "bytes:";
  for (unsigned char c : piece) {
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

json::array token_bytes(const Tokenizer& tok, TokenId id) {
  json::array a;
  for (unsigned char c : tok.token_to_piece(id, true)) a.emplace_back(int(c));
  return a;
}

// Byte offsets of the prompt's tokens in the prompt text. SentencePiece
// prefixes a space the text does not have; the offsets are shifted back by it
// and kept inside the text.
std::vector<size_t> prompt_offsets(const Tokenizer& tok, const std::vector<TokenId>& ids, const std::string& text) {
  std::vector<size_t> cum;
  std::string all;
  for (TokenId id : ids) {
    cum.push_back(all.size());
    all += tok.token_to_piece(id, false);
  }
  const size_t shift = all.size() >= text.size() && std::string_view(all).ends_with(text) ? all.size() - text.size() : 0;
  for (auto& c : cum) c = std::min(text.size(), c > shift ? c - shift : 0);
  return cum;
}

json::value number(double x) { return std::isfinite(x) ? json::value(x) : json::value(x < 0 ? -1e308 : 1e308); }

struct Prompt {
  std::vector<TokenId> ids;
  std::string text;
};

// "prompt": a string, an array of strings, or an array of token ids (one
// prompt), or an array of such arrays.
std::vector<Prompt> read_prompts(const Fields& f, const Tokenizer& tok) {
  const json::value* p = f.get("prompt");
  if (!p) throw RequestError("prompt", "prompt: required");
  auto from_ids = [&](const json::array& a) {
    Prompt pr;
    for (const auto& v : a) {
      if (!v.is_int64()) throw RequestError("prompt", "prompt: a token-id prompt holds integers only");
      const int64_t id = v.get_int64();
      if (id < 0 || uint64_t(id) >= tok.size())
        throw RequestError("prompt", "prompt: token id " + std::to_string(id) + " is not in [0, " +
                                         std::to_string(tok.size()) + ")");
      pr.ids.push_back(TokenId(id));
    }
    pr.text = sanitize_utf8(tok.decode(pr.ids));
    return pr;
  };
  auto from_text = [&](std::string_view s) { return Prompt{tok.encode(s, true), std::string(s)}; };
  std::vector<Prompt> out;
  if (p->is_string()) {
    out.push_back(from_text(p->get_string()));
  } else if (p->is_array() && !p->get_array().empty() && p->get_array()[0].is_int64()) {
    out.push_back(from_ids(p->get_array()));
  } else if (p->is_array() && !p->get_array().empty()) {
    for (const auto& e : p->get_array()) {
      if (e.is_string())
        out.push_back(from_text(e.get_string()));
      else if (e.is_array())
        out.push_back(from_ids(e.get_array()));
      else
        throw RequestError("prompt", "prompt: expected strings or arrays of token ids");
    }
  } else {
    throw RequestError("prompt", "prompt: expected a string, an array of strings, or an array of token ids");
  }
  return out;
}

json::object usage(size_t prompt, size_t completion) {
  return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

}  // namespace

EngineEndpoints::EngineEndpoints(std::shared_ptr<const Model> model, std::string model_name)
    : model_(std::move(model)), name_(std::move(model_name)) {
  if (!model_) throw LlmError("EngineEndpoints: no model");
}

namespace {

struct Handler {
  const std::shared_ptr<const Model>& model;
  const std::string& name;
  unsigned long id;

  json::object envelope(const char* prefix, const char* object) const {
    return {{"id", std::string(prefix) + std::to_string(id)},
            {"object", object},
            {"created", int64_t(std::time(nullptr))},
            {"model", name}};
  }

  EndpointReply completions(const json::object& body) const {
    Fields f(body);
    refuse_unsupported(f);
    const Tokenizer& tok = model->tokenizer();
    GenParams g;
    read_sampling(f, g);
    const size_t n_ctx = model->config().n_ctx_train;
    g.max_tokens = f.has("max_tokens") ? size_t(f.integer("max_tokens", 16, 0, INT64_MAX)) : (body.contains("max_tokens") ? n_ctx : 16);
    const bool want_lp = f.has("logprobs");
    const size_t top = want_lp ? size_t(f.integer("logprobs", 0, 0, 20)) : 0;
    const bool echo = f.boolean("echo", false);
    std::vector<Prompt> prompts = read_prompts(f, tok);

    json::array choices;
    size_t n_prompt = 0, n_completion = 0;
    for (size_t pi = 0; pi < prompts.size(); ++pi) {
      const Prompt& pr = prompts[pi];
      Run run(model);
      run.go(pr.ids, g, echo && want_lp, top);
      n_prompt += pr.ids.size();
      n_completion += run.steps.size();
      // Offsets are into prompt + completion: the echoed text, or the text
      // the completion continues.
      const std::string all = pr.text + run.bytes;
      const std::vector<size_t> chars = char_index(all);
      json::object choice;
      choice["index"] = pi;
      choice["text"] = sanitize_utf8(echo ? std::string_view(all) : std::string_view(run.bytes));
      if (want_lp) {
        json::array tokens, lps, tops, offsets;
        auto alt = [&](const std::vector<std::pair<TokenId, double>>& t) {
          json::object o;
          for (const auto& [id, lp] : t) o[token_text(tok, id)] = number(lp);
          return o;
        };
        if (echo) {
          const std::vector<size_t> off = prompt_offsets(tok, pr.ids, pr.text);
          for (size_t i = 0; i < pr.ids.size(); ++i) {
            tokens.emplace_back(token_text(tok, pr.ids[i]));
            lps.emplace_back(i == 0 ? json::value(nullptr) : number(run.prompt_logprobs[i]));
            tops.emplace_back(i == 0 ? json::value(nullptr) : json::value(alt(run.prompt_top[i])));
            offsets.emplace_back(chars[off[i]]);
          }
        }
        for (const Step& s : run.steps) {
          tokens.emplace_back(token_text(tok, s.id));
          lps.emplace_back(number(s.logprob));
          tops.emplace_back(alt(s.top));
          offsets.emplace_back(chars[pr.text.size() + s.start]);
        }
        choice["logprobs"] = json::object{
            {"tokens", std::move(tokens)}, {"token_logprobs", std::move(lps)}, {"top_logprobs", std::move(tops)},
            {"text_offset", std::move(offsets)}};
      } else {
        choice["logprobs"] = nullptr;
      }
      choice["finish_reason"] = run.finish_reason;
      choices.emplace_back(std::move(choice));
    }
    json::object out = envelope("cmpl-", "text_completion");
    out["choices"] = std::move(choices);
    out["usage"] = usage(n_prompt, n_completion);
    return {200, json::serialize(out)};
  }

  EndpointReply chat(const json::object& body) const {
    Fields f(body);
    refuse_unsupported(f);
    const Tokenizer& tok = model->tokenizer();
    GenParams g;
    read_sampling(f, g);
    g.stop.push_back(chat_stop());
    const size_t n_ctx = model->config().n_ctx_train;
    g.max_tokens = f.has("max_completion_tokens") ? size_t(f.integer("max_completion_tokens", 0, 0, INT64_MAX))
                   : f.has("max_tokens")          ? size_t(f.integer("max_tokens", 0, 0, INT64_MAX))
                                                  : n_ctx;
    const bool want_lp = f.boolean("logprobs", false);
    const size_t top = size_t(f.integer("top_logprobs", 0, 0, 20));
    if (top && !want_lp) throw RequestError("top_logprobs", "top_logprobs: needs \"logprobs\": true");

    const json::value* msgs = f.get("messages");
    if (!msgs || !msgs->is_array()) throw RequestError("messages", "messages: expected an array of messages");
    std::vector<ChatTurn> turns;
    for (size_t i = 0; i < msgs->get_array().size(); ++i) {
      const std::string p = "messages[" + std::to_string(i) + "]";
      const json::value& m = msgs->get_array()[i];
      if (!m.is_object()) throw RequestError(p, p + ": expected an object");
      const json::value* role = m.get_object().if_contains("role");
      const json::value* content = m.get_object().if_contains("content");
      if (!role || !role->is_string()) throw RequestError(p + ".role", p + ".role: expected a string");
      ChatTurn t{std::string(role->get_string()), {}};
      if (content && content->is_string()) {
        t.content = std::string(content->get_string());
      } else if (content && content->is_array()) {  // [{type: "text", text: ...}]
        for (const auto& part : content->get_array()) {
          const json::object* po = part.if_object();
          const json::value* type = po ? po->if_contains("type") : nullptr;
          const json::value* text = po ? po->if_contains("text") : nullptr;
          if (!type || *type != "text" || !text || !text->is_string())
            throw RequestError(p + ".content", p + ".content: only text parts are supported");
          t.content += std::string(text->get_string());
        }
      } else if (content && !content->is_null()) {
        throw RequestError(p + ".content", p + ".content: expected a string or an array of text parts");
      }
      turns.push_back(std::move(t));
    }
    std::string prompt_text;
    try {
      prompt_text = apply_chat_template(turns);
    } catch (const RequestError&) {
      throw;
    } catch (const LlmError& e) {
      throw RequestError("messages", e.what());
    }
    const std::vector<TokenId> ids = tok.encode(prompt_text, true);
    Run run(model);
    run.go(ids, g, false, top);

    std::string content = sanitize_utf8(run.bytes);
    if (content.starts_with(" ")) content.erase(0, 1);  // the space after "Assistant:"
    json::object choice{{"index", 0}, {"message", json::object{{"role", "assistant"}, {"content", content}}}};
    if (want_lp) {
      json::array items;
      for (const Step& s : run.steps) {
        json::array alts;
        for (const auto& [id, lp] : s.top)
          alts.emplace_back(json::object{{"token", token_text(tok, id)}, {"logprob", number(lp)}, {"bytes", token_bytes(tok, id)}});
        items.emplace_back(json::object{{"token", token_text(tok, s.id)},
                                        {"logprob", number(s.logprob)},
                                        {"bytes", token_bytes(tok, s.id)},
                                        {"top_logprobs", std::move(alts)}});
      }
      choice["logprobs"] = json::object{{"content", std::move(items)}};
    } else {
      choice["logprobs"] = nullptr;
    }
    choice["finish_reason"] = run.finish_reason;
    json::object out = envelope("chatcmpl-", "chat.completion");
    out["choices"] = json::array{std::move(choice)};
    out["usage"] = usage(ids.size(), run.steps.size());
    return {200, json::serialize(out)};
  }

  // llama.cpp's server's POST /tokenize: {"content": text, "add_special":
  // bool (default false: no BOS)} -> {"tokens": [ids]}.
  EndpointReply tokenize(const json::object& body) const {
    const Fields f(body);
    const json::value* c = f.get("content");
    if (!c || !c->is_string()) throw RequestError("content", "content: expected a string");
    const std::vector<TokenId> ids = model->tokenizer().encode(std::string(c->get_string()), f.boolean("add_special", false));
    json::array tokens;
    for (TokenId t : ids) tokens.emplace_back(t);
    return {200, json::serialize(json::object{{"tokens", std::move(tokens)}})};
  }

  EndpointReply models() const {
    json::object m{{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "borel"}};
    return {200, json::serialize(json::object{{"object", "list"}, {"data", json::array{std::move(m)}}})};
  }
};

}  // namespace

EndpointReply EngineEndpoints::handle(std::string_view method, std::string_view target, std::string_view body) const {
  const std::string_view path = target.substr(0, target.find('?'));
  Handler h{model_, name_, next_id_++};
  const bool post = method == "POST";
  try {
    if (path == "/health") {
      if (method != "GET") return error_reply(405, "use GET for /health", "invalid_request_error");
      return {200, "{\"status\":\"ok\"}"};
    }
    if (path == "/v1/models") {
      if (method != "GET") return error_reply(405, "use GET for /v1/models", "invalid_request_error");
      return h.models();
    }
    if (path != "/v1/completions" && path != "/v1/chat/completions" && path != "/tokenize")
      return error_reply(404, "no endpoint " + std::string(path) +
                                  " (served: POST /v1/completions, POST /v1/chat/completions, GET /v1/models, "
                                  "POST /tokenize, GET /health)",
                         "invalid_request_error");
    if (!post) return error_reply(405, "use POST for " + std::string(path), "invalid_request_error");
    json::value v;
    try {
      v = parse_json(body);
    } catch (const JsonParseError& e) {
      return error_reply(400, std::string("the request body is not valid JSON: ") + e.what(), "invalid_request_error");
    }
    if (!v.is_object()) return error_reply(400, "the request body must be a JSON object", "invalid_request_error");
    if (path == "/tokenize") return h.tokenize(v.get_object());
    return path == "/v1/completions" ? h.completions(v.get_object()) : h.chat(v.get_object());
  } catch (const RequestError& e) {
    return error_reply(400, e.what(), "invalid_request_error", e.param);
  } catch (const LlmError& e) {
    return error_reply(400, e.what(), "invalid_request_error");
  } catch (const std::exception& e) {
    return error_reply(500, std::string("engine error: ") + e.what(), "server_error");
  }
}

}  // namespace borel::llm::http
