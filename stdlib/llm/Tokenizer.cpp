#include "Tokenizer.h"

#include "Error.h"
#include "SpmTokenizer.h"

namespace borel::llm {

std::unique_ptr<Tokenizer> Tokenizer::from_vocab(Vocab vocab) {
  if (vocab.model == "llama") return std::make_unique<SpmTokenizer>(std::move(vocab));
  if (vocab.model == "gpt2")
    throw LlmError("tokenizer: the GPT-2-style byte-level BPE vocabulary (tokenizer.ggml.model = \"gpt2\") is not supported yet");
  throw LlmError("tokenizer: unsupported tokenizer.ggml.model \"" + vocab.model + "\" (supported: \"llama\")");
}

void Tokenizer::check_id(TokenId id) const {
  if (id < 0 || size_t(id) >= vocab_.size())
    throw LlmError("tokenizer: token id " + std::to_string(id) + " is out of range [0, " + std::to_string(vocab_.size()) + ")");
}

}  // namespace borel::llm
