#include "Vocab.h"

#include "BpePreTokenizer.h"
#include "Error.h"
#include "GgufReader.h"

namespace borel::llm {

std::optional<TokenId> Vocab::text_to_id(std::string_view text) const {
  auto it = index_.find(std::string(text));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void Vocab::finalize() {
  const size_t n = tokens.size();
  if (n == 0) throw LlmError("vocabulary is empty");
  if (n > (size_t(1) << 30)) throw LlmError("vocabulary of " + std::to_string(n) + " tokens is too large");
  if (scores.empty()) scores.assign(n, 0.0f);
  if (types.empty()) types.assign(n, TokenType::Normal);
  if (scores.size() != n || types.size() != n)
    throw LlmError("vocabulary: " + std::to_string(n) + " tokens but " + std::to_string(scores.size()) + " scores and " +
                   std::to_string(types.size()) + " token types");
  const std::pair<const char*, TokenId> specials[] = {{"bos", bos}, {"eos", eos}, {"unknown", unk}, {"padding", pad}};
  for (const auto& [name, id] : specials) {
    if (id != kNoToken && (id < 0 || size_t(id) >= n))
      throw LlmError(std::string("vocabulary: the ") + name + " token id is " + std::to_string(id) +
                     ", but the vocabulary has " + std::to_string(n) + " tokens");
  }
  index_.clear();
  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) index_.emplace(tokens[i], TokenId(i));  // first occurrence wins
  for (auto& b : byte_tokens_) b = kNoToken;
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    std::string name = std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
    auto it = index_.find(name);
    if (it != index_.end()) byte_tokens_[b] = it->second;
  }
}

namespace {

std::optional<TokenId> special_id(const GgufReader& g, const char* key) {
  const GgufValue* v = g.find(key);
  if (!v) return std::nullopt;
  if (!v->is_integer()) throw LlmError(std::string("metadata ") + key + ": expected an integer token id");
  // 0xFFFFFFFF (as uint32) or -1 mean "none", as in llama.cpp.
  int64_t raw = v->type() == GgufValueType::UINT32 || v->type() == GgufValueType::UINT64
                    ? (v->raw_uint() == 0xFFFFFFFFull || v->raw_uint() > uint64_t(INT32_MAX) ? -1 : int64_t(v->raw_uint()))
                    : v->as_i64(key);
  if (raw < 0 || raw > INT32_MAX) return kNoToken;
  return TokenId(raw);
}

}  // namespace

Vocab Vocab::from_gguf(const GgufReader& g) {
  Vocab v;
  v.model = g.get("tokenizer.ggml.model").as_string("tokenizer.ggml.model");
  const auto& toks = g.get("tokenizer.ggml.tokens").as_array("tokenizer.ggml.tokens");
  v.tokens.reserve(toks.size());
  for (const auto& t : toks) v.tokens.push_back(t.as_string("tokenizer.ggml.tokens"));
  if (const GgufValue* s = g.find("tokenizer.ggml.scores")) {
    for (const auto& x : s->as_array("tokenizer.ggml.scores"))
      v.scores.push_back(static_cast<float>(x.as_f64("tokenizer.ggml.scores")));
  }
  if (const GgufValue* t = g.find("tokenizer.ggml.token_type")) {
    for (const auto& x : t->as_array("tokenizer.ggml.token_type")) {
      int64_t ty = x.as_i64("tokenizer.ggml.token_type");
      if (ty < 0 || ty > 6)
        throw LlmError("metadata tokenizer.ggml.token_type: type " + std::to_string(ty) + " is not in 0..6");
      v.types.push_back(static_cast<TokenType>(ty));
    }
  }
  if (const GgufValue* p = g.find("tokenizer.ggml.pre")) v.pre = p->as_string("tokenizer.ggml.pre");
  if (const GgufValue* m = g.find("tokenizer.ggml.merges")) {
    const auto& merges = m->as_array("tokenizer.ggml.merges");
    v.merges.reserve(merges.size());
    for (const auto& x : merges) v.merges.push_back(x.as_string("tokenizer.ggml.merges"));
  }
  if (v.model == "llama") {  // SentencePiece defaults, as in llama.cpp
    v.bos = 1;
    v.eos = 2;
    v.unk = 0;
  }
  if (v.model == "gpt2") {  // byte-level BPE defaults, as in llama.cpp: no space prefix, BOS per pre-tokenizer
    v.add_space_prefix = false;
    auto info = find_bpe_pre_tokenizer(v.pre);
    v.add_bos = info && info->add_bos;
  }
  if (auto id = special_id(g, "tokenizer.ggml.bos_token_id")) v.bos = *id;
  if (auto id = special_id(g, "tokenizer.ggml.eos_token_id")) v.eos = *id;
  if (auto id = special_id(g, "tokenizer.ggml.unknown_token_id")) v.unk = *id;
  if (auto id = special_id(g, "tokenizer.ggml.padding_token_id")) v.pad = *id;
  if (const GgufValue* b = g.find("tokenizer.ggml.add_bos_token")) v.add_bos = b->as_bool("tokenizer.ggml.add_bos_token");
  if (const GgufValue* b = g.find("tokenizer.ggml.add_eos_token")) v.add_eos = b->as_bool("tokenizer.ggml.add_eos_token");
  if (const GgufValue* b = g.find("tokenizer.ggml.add_space_prefix"))
    v.add_space_prefix = b->as_bool("tokenizer.ggml.add_space_prefix");
  v.finalize();
  return v;
}

}  // namespace borel::llm
