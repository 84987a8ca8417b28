#include "OpenAiWire.h"

#include "JsonParse.h"
#include "Utf8.h"

#include <boost/json.hpp>

#include <algorithm>

namespace borel::llm::http {

namespace json = boost::json;

namespace {

[[noreturn]] void wrong(const std::string& path, const std::string& expected, const json::value* got) {
  std::string what = got ? std::string(to_string(got->kind())) : "nothing";
  throw ResponseShapeError(path + ": expected " + expected + ", got " + what);
}

const json::object& object_at(const json::value& v, const std::string& path) {
  if (!v.is_object()) wrong(path, "an object", &v);
  return v.get_object();
}

const json::array& array_at(const json::value* v, const std::string& path) {
  if (!v || !v->is_array()) wrong(path, "an array", v);
  return v->get_array();
}

std::string string_at(const json::value* v, const std::string& path) {
  if (!v || !v->is_string()) wrong(path, "a string", v);
  return std::string(v->get_string());
}

// A string, or "" for null / absent.
std::string optional_string(const json::value* v, const std::string& path) {
  if (!v || v->is_null()) return {};
  return string_at(v, path);
}

std::optional<double> number_or_null(const json::value* v, const std::string& path) {
  if (v && v->is_null()) return std::nullopt;
  if (v && v->is_double()) return v->get_double();
  if (v && v->is_int64()) return double(v->get_int64());
  if (v && v->is_uint64()) return double(v->get_uint64());
  wrong(path, "a number or null", v);
}

double number_at(const json::value* v, const std::string& path) {
  auto x = number_or_null(v, path);
  if (!x) wrong(path, "a number", v);
  return *x;
}

long count_at(const json::value* v, const std::string& path) {
  if (!v || v->is_null()) return -1;
  if (v->is_int64() && v->get_int64() >= 0) return long(v->get_int64());
  if (v->is_uint64()) return long(v->get_uint64());
  wrong(path, "a non-negative integer", v);
}

std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

const json::object& first_choice(const json::value& v) {
  const json::object& root = object_at(v, "response");
  if (const json::value* e = root.if_contains("error"); e && !e->is_null())
    throw ResponseShapeError("the response is an error: " + server_error_message(json::serialize(v)));
  const json::array& choices = array_at(root.if_contains("choices"), "choices");
  if (choices.empty()) throw ResponseShapeError("choices: the server returned no choice");
  return object_at(choices[0], "choices[0]");
}

void read_usage(const json::value& v, CompletionResult& r) {
  const json::value* u = v.get_object().if_contains("usage");
  if (!u || u->is_null()) return;
  const json::object& uo = object_at(*u, "usage");
  r.prompt_tokens = count_at(uo.if_contains("prompt_tokens"), "usage.prompt_tokens");
  r.completion_tokens = count_at(uo.if_contains("completion_tokens"), "usage.completion_tokens");
}

// The chat form: {content: [{token, logprob, top_logprobs: [{token, logprob}]}]}.
void read_chat_logprobs(const json::object& lp, const std::string& path, CompletionResult& r) {
  const json::value* content = lp.if_contains("content");
  if (!content || content->is_null()) return;
  const json::array& items = array_at(content, path + ".content");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string p = idx(path + ".content", i);
    const json::object& item = object_at(items[i], p);
    r.tokens.push_back(string_at(item.if_contains("token"), p + ".token"));
    r.token_logprobs.push_back(number_or_null(item.if_contains("logprob"), p + ".logprob"));
    std::vector<std::pair<std::string, double>> alts;
    if (const json::value* top = item.if_contains("top_logprobs"); top && !top->is_null()) {
      const json::array& ta = array_at(top, p + ".top_logprobs");
      for (size_t j = 0; j < ta.size(); ++j) {
        const std::string q = idx(p + ".top_logprobs", j);
        const json::object& alt = object_at(ta[j], q);
        alts.emplace_back(string_at(alt.if_contains("token"), q + ".token"),
                          number_at(alt.if_contains("logprob"), q + ".logprob"));
      }
    }
    r.top_logprobs.push_back(std::move(alts));
  }
}

// The completions form: {tokens, token_logprobs, top_logprobs, text_offset}.
void read_completion_logprobs(const json::object& lp, const std::string& path, CompletionResult& r) {
  if (!lp.contains("tokens") && lp.contains("content")) return read_chat_logprobs(lp, path, r);
  const json::array& toks = array_at(lp.if_contains("tokens"), path + ".tokens");
  const json::array& lps = array_at(lp.if_contains("token_logprobs"), path + ".token_logprobs");
  if (lps.size() != toks.size())
    throw ResponseShapeError(path + ": " + std::to_string(toks.size()) + " tokens but " + std::to_string(lps.size()) +
                             " token_logprobs");
  for (size_t i = 0; i < toks.size(); ++i) {
    r.tokens.push_back(string_at(&toks[i], idx(path + ".tokens", i)));
    r.token_logprobs.push_back(number_or_null(&lps[i], idx(path + ".token_logprobs", i)));
  }
  if (const json::value* off = lp.if_contains("text_offset"); off && !off->is_null()) {
    const json::array& oa = array_at(off, path + ".text_offset");
    if (oa.size() != toks.size())
      throw ResponseShapeError(path + ": " + std::to_string(toks.size()) + " tokens but " + std::to_string(oa.size()) +
                               " text_offset entries");
    for (size_t i = 0; i < oa.size(); ++i) {
      const long o = count_at(&oa[i], idx(path + ".text_offset", i));
      if (o < 0) wrong(idx(path + ".text_offset", i), "a non-negative integer", &oa[i]);
      r.text_offset.push_back(size_t(o));
    }
  }
  if (const json::value* top = lp.if_contains("top_logprobs"); top && !top->is_null()) {
    const json::array& ta = array_at(top, path + ".top_logprobs");
    for (size_t i = 0; i < ta.size(); ++i) {
      std::vector<std::pair<std::string, double>> alts;
      if (!ta[i].is_null()) {
        const std::string p = idx(path + ".top_logprobs", i);
        for (const auto& kv : object_at(ta[i], p))
          alts.emplace_back(std::string(kv.key()), number_at(&kv.value(), p + "." + std::string(kv.key())));
        std::stable_sort(alts.begin(), alts.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      }
      r.top_logprobs.push_back(std::move(alts));
    }
  }
}

json::array stop_array(const std::vector<std::string>& stop) {
  json::array a;
  for (const auto& s : stop) a.emplace_back(s);
  return a;
}

}  // namespace

std::string completion_body(const CompletionRequest& r, const std::string& model) {
  json::object o;
  if (!model.empty()) o["model"] = model;
  o["prompt"] = r.prompt;
  o["max_tokens"] = r.max_tokens;
  o["temperature"] = r.temperature;
  o["top_p"] = r.top_p;
  if (r.top_k) o["top_k"] = *r.top_k;
  if (!r.stop.empty()) o["stop"] = stop_array(r.stop);
  if (r.logprobs) o["logprobs"] = *r.logprobs;
  if (r.echo) o["echo"] = true;
  if (r.seed) o["seed"] = *r.seed;
  return json::serialize(o);
}

std::string chat_body(const ChatRequest& r, const std::string& model) {
  json::object o;
  if (!model.empty()) o["model"] = model;
  json::array msgs;
  for (const auto& m : r.messages) msgs.emplace_back(json::object{{"role", m.role}, {"content", m.content}});
  o["messages"] = std::move(msgs);
  if (r.max_tokens) o["max_tokens"] = *r.max_tokens;
  o["temperature"] = r.temperature;
  o["top_p"] = r.top_p;
  if (!r.stop.empty()) o["stop"] = stop_array(r.stop);
  if (r.logprobs) o["logprobs"] = true;
  if (r.top_logprobs) o["top_logprobs"] = *r.top_logprobs;
  if (r.seed) o["seed"] = *r.seed;
  return json::serialize(o);
}

CompletionRequest score_request(std::string_view prompt, std::string_view continuation) {
  CompletionRequest r;
  r.prompt = std::string(prompt) + std::string(continuation);
  // One generated token, greedy: vLLM refuses max_tokens = 0; read_score
  // drops the token.
  r.max_tokens = 1;
  r.temperature = 0;
  r.logprobs = 0;
  r.echo = true;
  return r;
}

CompletionResult read_completion(const json::value& v) {
  const json::object& c = first_choice(v);
  CompletionResult r;
  r.text = string_at(c.if_contains("text"), "choices[0].text");
  r.finish_reason = optional_string(c.if_contains("finish_reason"), "choices[0].finish_reason");
  if (const json::value* lp = c.if_contains("logprobs"); lp && !lp->is_null())
    read_completion_logprobs(object_at(*lp, "choices[0].logprobs"), "choices[0].logprobs", r);
  read_usage(v, r);
  return r;
}

CompletionResult read_chat(const json::value& v) {
  const json::object& c = first_choice(v);
  CompletionResult r;
  const json::value* m = c.if_contains("message");
  if (!m) wrong("choices[0].message", "an object", nullptr);
  const json::object& msg = object_at(*m, "choices[0].message");
  r.text = optional_string(msg.if_contains("content"), "choices[0].message.content");
  r.finish_reason = optional_string(c.if_contains("finish_reason"), "choices[0].finish_reason");
  if (const json::value* lp = c.if_contains("logprobs"); lp && !lp->is_null())
    read_chat_logprobs(object_at(*lp, "choices[0].logprobs"), "choices[0].logprobs", r);
  read_usage(v, r);
  return r;
}

ScoredText read_score(const CompletionResult& r, std::string_view prompt, std::string_view continuation) {
  if (r.tokens.empty())
    throw ResponseShapeError(
        "the server returned no token log-probabilities for the echoed text: it does not support scoring "
        "(echo with logprobs), as vLLM and `borel lm serve` do");
  if (r.text_offset.size() != r.tokens.size())
    throw ResponseShapeError("choices[0].logprobs.text_offset: needed to find the continuation's tokens, but absent");
  const std::string full = std::string(prompt) + std::string(continuation);
  if (!std::string_view(r.text).starts_with(sanitize_utf8(full)))
    throw ResponseShapeError("choices[0].text: the server did not echo the prompt (echo: true)");
  const size_t p_end = utf8_length(prompt), f_end = utf8_length(full), text_end = utf8_length(r.text);
  ScoredText s;
  for (size_t i = 0; i < r.tokens.size(); ++i) {
    const size_t start = r.text_offset[i];
    const size_t end = i + 1 < r.tokens.size() ? r.text_offset[i + 1] : text_end;
    if (start >= f_end || end <= p_end) continue;  // the prompt's, or generated after the text
    if (!r.token_logprobs[i])
      throw ResponseShapeError("choices[0].logprobs.token_logprobs[" + std::to_string(i) +
                               "]: null for a token of the continuation (the text's first token has no context: "
                               "give a non-empty prompt, or use a server that adds a BOS token)");
    s.tokens.push_back(r.tokens[i]);
    s.token_logprobs.push_back(*r.token_logprobs[i]);
    s.total += *r.token_logprobs[i];
  }
  return s;
}

std::string server_error_message(std::string_view body) {
  try {
    json::value v = parse_json(body);
    if (v.is_object()) {
      const json::object& o = v.get_object();
      const json::value* e = o.if_contains("error");
      if (e && e->is_object()) {
        if (const json::value* m = e->get_object().if_contains("message"); m && m->is_string())
          return std::string(m->get_string());
        return json::serialize(*e);
      }
      if (e && e->is_string()) return std::string(e->get_string());
      for (const char* key : {"message", "detail"})
        if (const json::value* m = o.if_contains(key))
          return m->is_string() ? std::string(m->get_string()) : json::serialize(*m);
    }
  } catch (const JsonParseError&) {
    // Not JSON: quote the body.
  }
  std::string out;
  for (unsigned char c : body.substr(0, 300)) out += (c < 0x20 || c == 0x7f) ? ' ' : char(c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > 300) out += "...";
  return out;
}

}  // namespace borel::llm::http
