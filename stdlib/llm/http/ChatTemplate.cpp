#include "ChatTemplate.h"

#include "Error.h"

namespace borel::llm::http {

std::string apply_chat_template(const std::vector<ChatTurn>& messages) {
  if (messages.empty()) throw LlmError("messages: at least one message is needed");
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatTurn& m = messages[i];
    if (m.role == "system" || m.role == "developer")
      out += m.content + "\n\n";
    else if (m.role == "user")
      out += "User: " + m.content + "\n\n";
    else if (m.role == "assistant")
      out += "Assistant: " + m.content + "\n\n";
    else
      throw LlmError("messages[" + std::to_string(i) + "].role: \"" + m.role +
                     "\" is not one of system, developer, user, assistant");
  }
  return out + "Assistant:";
}

}  // namespace borel::llm::http
