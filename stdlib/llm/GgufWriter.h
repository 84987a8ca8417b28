// GgufWriter.h — writes GGUF version 3 files: metadata of any value type and
// tensors of any declared type, aligned as the reader expects.
//
// Guarantees: the output is read back by GgufReader with the same metadata
// (types included) in the same order and the same tensor bytes; the data
// size of each tensor is checked against its shape and type before anything
// is written, so a writer never produces a file its reader rejects.
#pragma once

#include "GgmlType.h"
#include "GgufValue.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace borel::llm {

class GgufWriter {
public:
  explicit GgufWriter(uint32_t alignment = 32);

  // Adds or replaces a metadata value (replacing keeps the original position).
  void set(const std::string& key, GgufValue value);
  // Adds a tensor; `dims` in ggml order (dims[0] contiguous). Throws LlmError
  // when data.size() does not match the shape and type.
  void add_tensor(std::string name, GgmlType type, std::vector<uint64_t> dims, std::vector<std::byte> data);

  std::vector<std::byte> to_bytes() const;
  // Writes the bytes of to_bytes() to a file, without building them in memory first.
  void write(const std::string& path) const;

private:
  std::vector<std::byte> header_bytes() const;  // up to the first tensor's data
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<uint64_t> dims;
    std::vector<std::byte> data;
  };
  uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace borel::llm
