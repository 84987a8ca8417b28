// LanguageModelAbi.cpp — the runtime functions behind the language-model
// builtins (stdlib/lm): `llm`, `tokenize`, `detokenize`, `token_piece`,
// `vocab_size`, `eos_token`, `next_token`, `masked`, `tempered`, `generate`,
// `logprob`, `llm_server`, `judge`, `generate_text`, `text_logprob`, and the
// regular-expression masks `regex`, `regex_allowed`, `regex_match`, and the
// grammar masks `grammar`, `grammar_allowed`, `grammar_match`,
// `text_tokens` (the ids a mask may allow, for predicate masks written in
// Borel: prelude.brl's predicate_allowed), and the process rewards
// `reward_server`, `process_reward`.
//
// An LM value is a plain pointer to a LanguageModel made once per process
// (EmbeddedModel::load, ServerModel::connect); distributions over tokens are Dist values like any
// other (TokenDists.h), so `sample`, `observe`, `guided` and every
// inference method work on them unchanged.
#include <string>

#include "EmbeddedModel.h"
#include "GrammarMask.h"
#include "ModelMasks.h"
#include "RegexMask.h"
#include "RewardServer.h"
#include "ServerModel.h"
#include "TokenDists.h"
#include "runtime/abi/RuntimeAbi.h"

using borel::rt::Ctx;
using borel::rt::Word;
namespace rt = borel::rt;
namespace lm = borel::lm;
namespace llm = borel::llm;
namespace abi = borel::abi;

namespace {

std::string str(Word w) { return std::string(rt::view(rt::to_ptr<rt::String>(w))); }
lm::LanguageModel& model(Word w) { return *rt::to_ptr<lm::LanguageModel>(w); }
const rt::Array* array(Word w) { return rt::to_ptr<const rt::Array>(w); }

rt::Array* int_array(const std::vector<llm::TokenId>& ids) {
  rt::Array* a = rt::array_new_atomic(static_cast<int64_t>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) a->data[i] = ids[i];
  return a;
}


}  // namespace

extern "C" {

Word rt_llm(Ctx*, int64_t site, Word path, Word dir) {
  return abi::located(site, [&] {
    const std::string p = abi::resolve_path(rt::to_ptr<rt::String>(path), rt::to_ptr<rt::String>(dir));
    return rt::from_ptr(static_cast<lm::LanguageModel*>(lm::EmbeddedModel::load(p).get()));
  });
}

Word rt_tokenize(Ctx*, int64_t site, Word m, Word text) {
  return abi::located(site, [&] { return rt::from_ptr(int_array(model(m).tokenize(str(text)))); });
}

Word rt_detokenize(Ctx*, int64_t site, Word m, Word ids) {
  return abi::located(site, [&] {
    return rt::from_ptr(rt::string_new(model(m).tokenizer().decode(lm::token_ids(array(ids)), true)));
  });
}

Word rt_token_piece(Ctx*, int64_t site, Word m, Word id) {
  return abi::located(site, [&] {
    if (id < 0 || static_cast<size_t>(id) >= model(m).vocab_size())
      throw rt::RuntimeError{"", "token_piece: " + std::to_string(id) + " is not a token id"};
    return rt::from_ptr(rt::string_new(model(m).tokenizer().token_to_piece(static_cast<llm::TokenId>(id), true)));
  });
}

Word rt_vocab_size(Ctx*, int64_t, Word m) { return static_cast<Word>(model(m).vocab_size()); }

Word rt_eos_token(Ctx*, int64_t site, Word m) {
  const llm::TokenId eos = model(m).tokenizer().vocab().eos;
  if (eos == llm::kNoToken) abi::fail(site, "eos_token: the model's vocabulary has no end-of-sequence token");
  return eos;
}

Word rt_next_token(Ctx*, int64_t site, Word m, Word context) {
  return abi::located(site, [&] { return rt::from_ptr(lm::make_next_token(&model(m), array(context))); });
}

Word rt_masked(Ctx*, int64_t site, Word d, Word allowed) {
  return abi::located(site, [&] { return rt::from_ptr(lm::make_masked(*rt::to_ptr<const rt::Dist>(d), array(allowed))); });
}

Word rt_tempered(Ctx*, int64_t site, Word d, Word temperature, Word top_k, Word top_p) {
  return abi::located(site, [&] {
    return rt::from_ptr(
        lm::make_tempered(*rt::to_ptr<const rt::Dist>(d), rt::to_real(temperature), top_k, rt::to_real(top_p)));
  });
}

Word rt_generate(Ctx*, int64_t site, Word m, Word prompt, Word max_tokens) {
  return abi::located(site, [&] { return rt::from_ptr(lm::make_generate(&model(m), array(prompt), max_tokens)); });
}

Word rt_logprob(Ctx*, int64_t site, Word m, Word context, Word tokens) {
  return abi::located(site, [&] { return rt::from_real(lm::sequence_logprob(model(m), array(context), array(tokens))); });
}

Word rt_llm_server(Ctx*, int64_t site, Word url, Word name) {
  return abi::located(site, [&] { return rt::from_ptr(static_cast<lm::LanguageModel*>(lm::ServerModel::connect(str(url), str(name)).get())); });
}

Word rt_generate_text(Ctx*, int64_t site, Word m, Word prompt, Word max_tokens, Word stop) {
  return abi::located(site, [&] { return rt::from_ptr(lm::make_generate_text(&model(m), str(prompt), max_tokens, str(stop))); });
}

Word rt_text_logprob(Ctx*, int64_t site, Word m, Word prompt, Word text) {
  return abi::located(site, [&] { return rt::from_real(lm::text_logprob(model(m), str(prompt), str(text))); });
}

Word rt_judge(Ctx*, int64_t site, Word m, Word prompt, Word yes, Word no) {
  return abi::located(site, [&] { return rt::from_ptr(lm::make_judge(&model(m), str(prompt), str(yes), str(no))); });
}

// A RewardServer value is a plain pointer to the one client per URL (RewardServer.h).
Word rt_reward_server(Ctx*, int64_t site, Word url) {
  return abi::located(site, [&] { return rt::from_ptr(lm::RewardServer::connect(str(url)).get()); });
}

Word rt_process_reward(Ctx*, int64_t site, Word rs, Word question, Word steps) {
  return abi::located(site, [&] {
    return rt::from_ptr(lm::make_process_reward(rt::to_ptr<lm::RewardServer>(rs), str(question), array(steps)));
  });
}

// A Regex value is a plain pointer to its interned RegexMask (RegexMask.h).
Word rt_regex(Ctx*, int64_t site, Word pattern) {
  return abi::located(site, [&] { return rt::from_ptr(lm::RegexMask::get(str(pattern))); });
}

Word rt_regex_allowed(Ctx*, int64_t site, Word m, Word r, Word text) {
  return abi::located(site, [&] {
    return rt::from_ptr(rt::to_ptr<lm::RegexMask>(r)->allowed(model(m), rt::view(rt::to_ptr<rt::String>(text))));
  });
}

Word rt_regex_match(Ctx*, int64_t site, Word r, Word text) {
  return abi::located(site, [&] { return static_cast<Word>(rt::to_ptr<lm::RegexMask>(r)->matches(rt::view(rt::to_ptr<rt::String>(text)))); });
}

// A Grammar value is a plain pointer to its interned GrammarMask (GrammarMask.h).
Word rt_grammar(Ctx*, int64_t site, Word text) {
  return abi::located(site, [&] { return rt::from_ptr(lm::GrammarMask::get(str(text))); });
}

Word rt_grammar_allowed(Ctx*, int64_t site, Word m, Word g, Word text) {
  return abi::located(site, [&] {
    return rt::from_ptr(rt::to_ptr<lm::GrammarMask>(g)->allowed(model(m), rt::view(rt::to_ptr<rt::String>(text))));
  });
}

Word rt_grammar_match(Ctx*, int64_t site, Word g, Word text) {
  return abi::located(site, [&] {
    return static_cast<Word>(rt::to_ptr<lm::GrammarMask>(g)->matches(rt::view(rt::to_ptr<rt::String>(text))));
  });
}

Word rt_text_tokens(Ctx*, int64_t site, Word m) {
  return abi::located(site, [&] { return rt::from_ptr(lm::text_tokens(model(m))); });
}

}  // extern "C"

namespace borel::abi {

const std::map<std::string, void*>& language_model_symbols() {
#define SYM(name) {#name, reinterpret_cast<void*>(&name)}
  static const std::map<std::string, void*> table = {
      SYM(rt_llm),       SYM(rt_tokenize),    SYM(rt_detokenize), SYM(rt_token_piece), SYM(rt_vocab_size),
      SYM(rt_eos_token), SYM(rt_next_token),  SYM(rt_masked),     SYM(rt_logprob),  SYM(rt_tempered), SYM(rt_generate),
      SYM(rt_judge),     SYM(rt_llm_server),  SYM(rt_generate_text), SYM(rt_text_logprob),
      SYM(rt_regex),     SYM(rt_regex_allowed), SYM(rt_regex_match), SYM(rt_reward_server), SYM(rt_process_reward),
      SYM(rt_grammar),   SYM(rt_grammar_allowed), SYM(rt_grammar_match), SYM(rt_text_tokens),
  };
#undef SYM
  return table;
}

}  // namespace borel::abi
