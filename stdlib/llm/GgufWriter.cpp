#include "GgufWriter.h"

#include "Error.h"

#include <algorithm>
#include <cstring>
#include <fstream>

namespace borel::llm {

namespace {

class Out {
public:
  explicit Out(std::vector<std::byte>& b) : b_(b) {}
  template <class T>
  void put(T v) {
    size_t n = b_.size();
    b_.resize(n + sizeof(T));
    std::memcpy(b_.data() + n, &v, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    b_.insert(b_.end(), p, p + s.size());
  }
  void pad_to(uint64_t alignment) {
    while (b_.size() % alignment) b_.push_back(std::byte{0});
  }

private:
  std::vector<std::byte>& b_;
};

void put_value(Out& o, const GgufValue& v) {
  switch (v.type()) {
    case GgufValueType::UINT8: o.put<uint8_t>(uint8_t(v.raw_uint())); break;
    case GgufValueType::INT8: o.put<int8_t>(int8_t(v.raw_int())); break;
    case GgufValueType::UINT16: o.put<uint16_t>(uint16_t(v.raw_uint())); break;
    case GgufValueType::INT16: o.put<int16_t>(int16_t(v.raw_int())); break;
    case GgufValueType::UINT32: o.put<uint32_t>(uint32_t(v.raw_uint())); break;
    case GgufValueType::INT32: o.put<int32_t>(int32_t(v.raw_int())); break;
    case GgufValueType::UINT64: o.put<uint64_t>(v.raw_uint()); break;
    case GgufValueType::INT64: o.put<int64_t>(v.raw_int()); break;
    case GgufValueType::FLOAT32: o.put<float>(float(v.raw_float())); break;
    case GgufValueType::FLOAT64: o.put<double>(v.raw_float()); break;
    case GgufValueType::BOOL: o.put<uint8_t>(v.raw_uint() ? 1 : 0); break;
    case GgufValueType::STRING: o.put_string(v.as_string("")); break;
    case GgufValueType::ARRAY: {
      const auto& arr = v.as_array("");
      o.put<uint32_t>(static_cast<uint32_t>(v.elem_type()));
      o.put<uint64_t>(arr.size());
      for (const auto& e : arr) {
        if (e.type() != v.elem_type())
          throw LlmError(std::string("gguf writer: array of ") + gguf_value_type_name(v.elem_type()) +
                         " holds an element of type " + gguf_value_type_name(e.type()));
        put_value(o, e);
      }
      break;
    }
  }
}

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)))
    throw LlmError("gguf writer: alignment " + std::to_string(alignment) + " must be a power of two");
  if (alignment != 32) set("general.alignment", GgufValue::u32(alignment));
}

void GgufWriter::set(const std::string& key, GgufValue value) {
  if (key == "general.alignment" && (value.type() != GgufValueType::UINT32 || value.raw_uint() != alignment_))
    throw LlmError("gguf writer: general.alignment is fixed by the constructor");
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::add_tensor(std::string name, GgmlType type, std::vector<uint64_t> dims, std::vector<std::byte> data) {
  auto traits = ggml_type_traits(static_cast<uint32_t>(type));
  if (!traits) throw LlmError("gguf writer: tensor " + name + " has an unknown type");
  if (dims.empty() || dims.size() > 4) throw LlmError("gguf writer: tensor " + name + " must have 1 to 4 dimensions");
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  if (dims[0] % traits->block_elems)
    throw LlmError("gguf writer: tensor " + name + ": row length " + std::to_string(dims[0]) +
                   " is not a multiple of the " + traits->name + " block size");
  uint64_t want = n / traits->block_elems * traits->block_bytes;
  if (data.size() != want)
    throw LlmError("gguf writer: tensor " + name + " has " + std::to_string(data.size()) + " bytes, but its shape and type need " +
                   std::to_string(want));
  for (const auto& t : tensors_)
    if (t.name == name) throw LlmError("gguf writer: duplicate tensor " + name);
  tensors_.push_back({std::move(name), type, std::move(dims), std::move(data)});
}

std::vector<std::byte> GgufWriter::header_bytes() const {
  std::vector<std::byte> b;
  Out o(b);
  o.put<uint32_t>(0x46554747);
  o.put<uint32_t>(3);
  o.put<uint64_t>(tensors_.size());
  o.put<uint64_t>(metadata_.size());
  for (const auto& [k, v] : metadata_) {
    o.put_string(k);
    o.put<uint32_t>(static_cast<uint32_t>(v.type()));
    put_value(o, v);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    o.put_string(t.name);
    o.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) o.put<uint64_t>(d);
    o.put<uint32_t>(static_cast<uint32_t>(t.type));
    o.put<uint64_t>(offset);
    offset += (t.data.size() + alignment_ - 1) / alignment_ * alignment_;
  }
  o.pad_to(alignment_);
  return b;
}

std::vector<std::byte> GgufWriter::to_bytes() const {
  std::vector<std::byte> b = header_bytes();
  Out o(b);
  for (const auto& t : tensors_) {
    b.insert(b.end(), t.data.begin(), t.data.end());
    o.pad_to(alignment_);
  }
  return b;
}

void GgufWriter::write(const std::string& path) const {
  // The same bytes as to_bytes(), tensor by tensor: a model of gigabytes is
  // not copied once more in memory.
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw LlmError("gguf writer: cannot open " + path + " for writing");
  const auto header = header_bytes();
  f.write(reinterpret_cast<const char*>(header.data()), static_cast<std::streamsize>(header.size()));
  const char zeros[256] = {};
  for (const auto& t : tensors_) {
    f.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
    const size_t pad = (alignment_ - t.data.size() % alignment_) % alignment_;
    for (size_t left = pad; left > 0;) {
      const size_t k = std::min(left, sizeof zeros);
      f.write(zeros, static_cast<std::streamsize>(k));
      left -= k;
    }
  }
  if (!f) throw LlmError("gguf writer: failed writing " + path);
}

}  // namespace borel::llm
