// ChatTemplate.h — how `borel lm serve` turns chat messages into a prompt.
//
// GGUF files may carry a Jinja chat template (tokenizer.chat_template); the
// engine has no Jinja interpreter, so the server uses one fixed, plain
// format for every model:
//
//   <content>\n\n                    (role "system" or "developer")
//   User: <content>\n\n             (role "user")
//   Assistant: <content>\n\n        (role "assistant")
//   Assistant:                      (the answer follows, after a space)
//
// and stops generation at "\nUser:" so the model does not write the user's
// next turn. Good enough for base models and tests; a served instruction model
// wants its own template (not done: see docs/llm.md).
#pragma once

#include <string>
#include <vector>

namespace borel::llm::http {

struct ChatTurn {
  std::string role, content;
};

// Throws LlmError on an unknown role (system, user, assistant are known) or
// no messages.
std::string apply_chat_template(const std::vector<ChatTurn>& messages);

// The stop string the template implies.
inline const char* chat_stop() { return "\nUser:"; }

}  // namespace borel::llm::http
