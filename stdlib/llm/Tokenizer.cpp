#include "Tokenizer.h"

#include "BpeTokenizer.h"
#include "Error.h"
#include "SpmTokenizer.h"

namespace borel::llm {

std::unique_ptr<Tokenizer> Tokenizer::from_vocab(Vocab vocab) {
  if (vocab.model == "llama") return std::make_unique<SpmTokenizer>(std::move(vocab));
  if (vocab.model == "gpt2") return std::make_unique<BpeTokenizer>(std::move(vocab));
  throw LlmError("tokenizer: unsupported tokenizer.ggml.model \"" + vocab.model + "\" (supported: \"llama\", \"gpt2\")");
}

void Tokenizer::check_id(TokenId id) const {
  if (id < 0 || size_t(id) >= vocab_.size())
    throw LlmError("tokenizer: token id " + std::to_string(id) + " is out of range [0, " + std::to_string(vocab_.size()) + ")");
}

}  // namespace borel::llm
