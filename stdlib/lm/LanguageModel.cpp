// LanguageModel.cpp — see LanguageModel.h.
#include "LanguageModel.h"

namespace borel::lm {

void LanguageModel::token_level(const char* what) const {
  throw llm::LlmError(name() + " is a server: it has no " + std::string(what) +
                      " here (over HTTP a model gives the log-probabilities of a few alternatives, not its whole "
                      "next-token distribution). Load the model with llm(path) for token-level work; on a server use "
                      "judge, generate_text and text_logprob");
}

std::vector<llm::TokenId> LanguageModel::tokenize(const std::string& text) { return tokenizer().encode(text, true); }

}  // namespace borel::lm
