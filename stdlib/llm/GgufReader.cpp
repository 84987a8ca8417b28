#include "GgufReader.h"

#include "Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace borel::llm {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr size_t kMaxDims = 4;           // ggml's GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;        // arrays of arrays: a sane nesting bound

class MappedFile final : public ByteSource {
public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw GgufError("cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      throw GgufError("cannot stat " + path + ": " + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      throw GgufError(path + " is not a regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        int e = errno;
        ::close(fd);
        throw GgufError("cannot map " + path + ": " + std::strerror(e));
      }
      data_ = static_cast<const std::byte*>(p);
    }
    ::close(fd);
  }
  ~MappedFile() override {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::span<const std::byte> bytes() const override { return {data_, size_}; }

private:
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

class OwnedBytes final : public ByteSource {
public:
  explicit OwnedBytes(std::vector<std::byte> b) : bytes_(std::move(b)) {}
  std::span<const std::byte> bytes() const override { return bytes_; }

private:
  std::vector<std::byte> bytes_;
};

// A bounds-checked little-endian cursor over the file.
class Cursor {
public:
  explicit Cursor(std::span<const std::byte> b) : b_(b) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return b_.size() - pos_; }

  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      throw GgufError("truncated file: reading " + std::string(what) + " at offset " + std::to_string(pos_) +
                      " needs " + std::to_string(n) + " bytes, but only " + std::to_string(remaining()) +
                      " remain");
  }
  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));  // files are little-endian, as is x86-64
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const char* what) {
    uint64_t n = read<uint64_t>(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }

private:
  std::span<const std::byte> b_;
  uint64_t pos_ = 0;
};

// The fewest bytes one element of this type can take (for count checks).
uint64_t min_value_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64:
    case GgufValueType::STRING: return 8;     // the length prefix
    case GgufValueType::ARRAY: return 4 + 8;  // element type + count
  }
  return 1;
}

GgufValueType check_value_type(uint32_t raw, const std::string& key) {
  if (raw > static_cast<uint32_t>(GgufValueType::FLOAT64))
    throw GgufError("metadata " + key + ": unknown value type " + std::to_string(raw));
  return static_cast<GgufValueType>(raw);
}

GgufValue read_value(Cursor& c, GgufValueType t, const std::string& key, int depth) {
  switch (t) {
    case GgufValueType::UINT8: return GgufValue::make_uint(t, c.read<uint8_t>("uint8 value"));
    case GgufValueType::INT8: return GgufValue::make_int(t, c.read<int8_t>("int8 value"));
    case GgufValueType::UINT16: return GgufValue::make_uint(t, c.read<uint16_t>("uint16 value"));
    case GgufValueType::INT16: return GgufValue::make_int(t, c.read<int16_t>("int16 value"));
    case GgufValueType::UINT32: return GgufValue::make_uint(t, c.read<uint32_t>("uint32 value"));
    case GgufValueType::INT32: return GgufValue::make_int(t, c.read<int32_t>("int32 value"));
    case GgufValueType::UINT64: return GgufValue::make_uint(t, c.read<uint64_t>("uint64 value"));
    case GgufValueType::INT64: return GgufValue::make_int(t, c.read<int64_t>("int64 value"));
    case GgufValueType::FLOAT32: return GgufValue::make_float(t, c.read<float>("float32 value"));
    case GgufValueType::FLOAT64: return GgufValue::make_float(t, c.read<double>("float64 value"));
    case GgufValueType::BOOL: {
      uint8_t b = c.read<uint8_t>("bool value");
      if (b > 1) throw GgufError("metadata " + key + ": bool value is " + std::to_string(b) + ", but must be 0 or 1");
      return GgufValue::make_bool(b != 0);
    }
    case GgufValueType::STRING: return GgufValue::make_string(c.read_string("string value"));
    case GgufValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) throw GgufError("metadata " + key + ": arrays nested too deeply");
      GgufValueType et = check_value_type(c.read<uint32_t>("array element type"), key);
      uint64_t n = c.read<uint64_t>("array length");
      if (n > c.remaining() / min_value_bytes(et))
        throw GgufError("truncated or corrupt file: metadata " + key + ": array of " + std::to_string(n) + " " + gguf_value_type_name(et) +
                        " elements does not fit in the " + std::to_string(c.remaining()) + " bytes left");
      std::vector<GgufValue> elems;
      elems.reserve(n);
      for (uint64_t i = 0; i < n; ++i) elems.push_back(read_value(c, et, key, depth + 1));
      return GgufValue::make_array(et, std::move(elems));
    }
  }
  throw GgufError("metadata " + key + ": unknown value type");
}

}  // namespace

uint64_t GgufTensorInfo::n_elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;  // overflow excluded by the reader's checks
  return n;
}

GgufReader::GgufReader(std::shared_ptr<const ByteSource> source) : source_(std::move(source)) {}

GgufReader GgufReader::open(const std::string& path) {
  GgufReader r(std::make_shared<MappedFile>(path));
  try {
    r.parse();
  } catch (const GgufError& e) {
    throw GgufError(path + ": " + std::string(e.what()).substr(6));
  }
  return r;
}

GgufReader GgufReader::from_bytes(std::vector<std::byte> bytes) {
  GgufReader r(std::make_shared<OwnedBytes>(std::move(bytes)));
  r.parse();
  return r;
}

void GgufReader::parse() {
  const auto bytes = source_->bytes();
  Cursor c(bytes);
  if (bytes.size() < 4) throw GgufError("truncated file: " + std::to_string(bytes.size()) + " bytes, not a GGUF file");
  uint32_t magic = c.read<uint32_t>("magic");
  if (magic != kMagic) throw GgufError("bad magic: the file does not start with \"GGUF\"");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) throw GgufError("GGUF version 1 is not supported (versions 2 and 3 are)");
  if (version_ != 2 && version_ != 3)
    throw GgufError("unknown GGUF version " + std::to_string(version_) + " (versions 2 and 3 are supported)");
  uint64_t n_tensors = c.read<uint64_t>("tensor count");
  uint64_t n_kv = c.read<uint64_t>("metadata count");
  // Each key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes.
  if (n_kv > c.remaining() / 13)
    throw GgufError("truncated or corrupt file: metadata count " + std::to_string(n_kv) + " cannot fit in a file of " +
                    std::to_string(bytes.size()) + " bytes");
  // Each tensor description takes at least 8 + 4 + 4 + 8 bytes.
  if (n_tensors > c.remaining() / 24)
    throw GgufError("truncated or corrupt file: tensor count " + std::to_string(n_tensors) + " cannot fit in a file of " +
                    std::to_string(bytes.size()) + " bytes");

  metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string("metadata key");
    GgufValueType t = check_value_type(c.read<uint32_t>("metadata value type"), key);
    GgufValue v = read_value(c, t, key, 0);
    if (metadata_index_.count(key)) throw GgufError("duplicate metadata key " + key);
    metadata_index_.emplace(key, metadata_.size());
    metadata_.emplace_back(std::move(key), std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (a->type() != GgufValueType::UINT32)
      throw GgufError("general.alignment must be a uint32, but is a " + std::string(gguf_value_type_name(a->type())));
    alignment_ = a->raw_uint();
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
      throw GgufError("general.alignment is " + std::to_string(alignment_) + ", but must be a power of two");
  }

  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.read_string("tensor name");
    uint32_t n_dims = c.read<uint32_t>("tensor dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      throw GgufError("tensor " + t.name + " has " + std::to_string(n_dims) + " dimensions, but must have 1 to 4");
    uint64_t n_elem = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = c.read<uint64_t>("tensor dimension");
      if (dim == 0 || dim > (uint64_t(1) << 40) || n_elem > (uint64_t(1) << 60) / dim)
        throw GgufError("tensor " + t.name + ": dimension " + std::to_string(d) + " is " + std::to_string(dim) +
                        ", which is zero or too large");
      n_elem *= dim;
      t.dims.push_back(dim);
    }
    uint32_t type_code = c.read<uint32_t>("tensor type");
    auto traits = ggml_type_traits(type_code);
    if (!traits)
      throw GgufError("tensor " + t.name + " has unknown or unsupported type " + std::to_string(type_code));
    t.type = static_cast<GgmlType>(type_code);
    if (t.dims[0] % traits->block_elems != 0)
      throw GgufError("tensor " + t.name + " of type " + traits->name + ": row length " + std::to_string(t.dims[0]) +
                      " is not a multiple of the block size " + std::to_string(traits->block_elems));
    t.n_bytes = n_elem / traits->block_elems * traits->block_bytes;
    t.offset = c.read<uint64_t>("tensor offset");
    if (t.offset % alignment_ != 0)
      throw GgufError("tensor " + t.name + ": offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                      std::to_string(alignment_));
    if (tensor_index_.count(t.name)) throw GgufError("duplicate tensor name " + t.name);
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(std::move(t));
  }

  uint64_t pos = c.pos();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > bytes.size() && !tensors_.empty())
    throw GgufError("truncated file: the tensor data section would start at offset " + std::to_string(data_offset_) +
                    ", past the end of the " + std::to_string(bytes.size()) + "-byte file");
  const uint64_t data_size = data_offset_ <= bytes.size() ? bytes.size() - data_offset_ : 0;
  for (auto& t : tensors_) {
    if (t.offset > data_size || t.n_bytes > data_size - t.offset)
      throw GgufError("truncated file: tensor " + t.name + " needs bytes [" + std::to_string(t.offset) + ", " +
                      std::to_string(t.offset + t.n_bytes) + ") of the data section, which has only " +
                      std::to_string(data_size) + " bytes");
    t.data = bytes.data() + data_offset_ + t.offset;
  }
}

const GgufValue* GgufReader::find(const std::string& key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufValue& GgufReader::get(const std::string& key) const {
  if (const GgufValue* v = find(key)) return *v;
  throw LlmError("missing metadata key " + key);
}

const GgufTensorInfo* GgufReader::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace borel::llm
