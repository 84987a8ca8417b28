// GgufReader.h — reads a GGUF file (versions 2 and 3): header, every metadata
// value type, tensor descriptions, alignment, and memory-mapped tensor data.
//
// Guarantees: every read is bounds-checked, every count and size is checked
// against the bytes that are actually there before anything is allocated,
// and every tensor's data is checked to lie inside the file, aligned, with a
// byte size that matches its shape and type. Any violation throws GgufError
// with the offset and what was expected; a malformed file never crashes the
// reader (tests/llm fuzzes it). Tensor data is not copied: tensors point
// into the mapping, which lives as long as any GgufReader copy or any Model
// made from it.
#pragma once

#include "GgmlType.h"
#include "GgufValue.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace borel::llm {

// Bytes that stay valid while any holder of the pointer lives (a mapping of
// a file, or an owned buffer).
class ByteSource {
public:
  virtual ~ByteSource() = default;
  virtual std::span<const std::byte> bytes() const = 0;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order: dims[0] is the contiguous one
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;   // relative to the start of the data section
  uint64_t n_bytes = 0;  // checked against dims and type
  const std::byte* data = nullptr;

  uint64_t n_elements() const;
};

class GgufReader {
public:
  // Maps the file read-only.
  static GgufReader open(const std::string& path);
  // Parses bytes already in memory (copied into the reader).
  static GgufReader from_bytes(std::vector<std::byte> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return source_->bytes().size(); }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;
  // Throws LlmError "missing metadata key" when absent.
  const GgufValue& get(const std::string& key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;

  // Keeps the tensor data alive independently of this reader.
  std::shared_ptr<const ByteSource> source() const { return source_; }

private:
  explicit GgufReader(std::shared_ptr<const ByteSource> source);
  void parse();

  std::shared_ptr<const ByteSource> source_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, size_t> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace borel::llm
