// Error.h — the exceptions the LLM engine throws.
//
// Every failure caused by input (a malformed GGUF file, an unsupported model,
// a token id out of range, a misuse of the API) is reported by throwing
// LlmError with a message that names the thing and says what was expected.
// The engine never aborts or asserts on input.
#pragma once

#include <stdexcept>
#include <string>

namespace borel::llm {

class LlmError : public std::runtime_error {
public:
  explicit LlmError(const std::string& what) : std::runtime_error(what) {}
};

// A GGUF file that cannot be read: truncated, bad magic, unknown version,
// sizes or offsets that do not add up.
class GgufError : public LlmError {
public:
  explicit GgufError(const std::string& what) : LlmError("gguf: " + what) {}
};

}  // namespace borel::llm
