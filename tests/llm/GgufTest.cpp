// GGUF reader and writer: the stored model parses as documented, a written
// file reads back identically, malformed files raise GgufError/LlmError with
// a clear message, and thousands of mutated or truncated copies of the model
// never crash the reader, the model loader or the tokenizer.
#include <doctest/doctest.h>

#include "BatchDecoder.h"
#include "Error.h"
#include "GgufReader.h"
#include "GgufWriter.h"
#include "TestModel.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>

#include <unistd.h>

using namespace borel::llm;
using namespace borel::llm::test;

namespace {

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> c((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::byte> b(c.size());
  std::memcpy(b.data(), c.data(), c.size());
  return b;
}

template <class T>
void poke(std::vector<std::byte>& b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof v);
}

std::string error_of(std::vector<std::byte> bytes) {
  try {
    GgufReader::from_bytes(std::move(bytes));
  } catch (const GgufError& e) {
    return e.what();
  }
  return "";
}

// A small file with every value type and two tensors.
GgufWriter sample_writer() {
  GgufWriter w;
  w.set("general.architecture", GgufValue::make_string("test"));
  w.set("u8", GgufValue::make_uint(GgufValueType::UINT8, 200));
  w.set("i8", GgufValue::make_int(GgufValueType::INT8, -100));
  w.set("u16", GgufValue::make_uint(GgufValueType::UINT16, 60000));
  w.set("i16", GgufValue::make_int(GgufValueType::INT16, -30000));
  w.set("u32", GgufValue::u32(4000000000u));
  w.set("i32", GgufValue::i32(-2000000000));
  w.set("u64", GgufValue::make_uint(GgufValueType::UINT64, 1ull << 60));
  w.set("i64", GgufValue::make_int(GgufValueType::INT64, -(1ll << 60)));
  w.set("f32", GgufValue::f32(1.5f));
  w.set("f64", GgufValue::make_float(GgufValueType::FLOAT64, 0.1));
  w.set("bool", GgufValue::make_bool(true));
  w.set("nested", GgufValue::make_array(GgufValueType::ARRAY,
                                        {GgufValue::make_array(GgufValueType::STRING, {GgufValue::make_string("a"),
                                                                                       GgufValue::make_string("")}),
                                         GgufValue::make_array(GgufValueType::INT32, {GgufValue::i32(7)})}));
  std::vector<std::byte> a(3 * 4), h(5 * 2);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::byte(i);
  w.add_tensor("a", GgmlType::F32, {3}, a);
  w.add_tensor("h", GgmlType::F16, {5, 1}, h);
  return w;
}

}  // namespace

TEST_CASE("gguf: the test model's header, metadata and tensors") {
  if (model_missing()) return;
  GgufReader r = GgufReader::open(model_path());
  CHECK(r.version() == 3);
  CHECK(r.alignment() == 32);
  CHECK(r.data_offset() == 14176);
  CHECK(r.metadata().size() == 19);
  CHECK(r.tensors().size() == 48);
  CHECK(r.get("general.architecture").as_string("") == "llama");
  CHECK(r.get("llama.block_count").as_u64("") == 5);
  const GgufTensorInfo* t = r.find_tensor("blk.0.ffn_down.weight");
  REQUIRE(t);
  CHECK(t->dims == std::vector<uint64_t>{172, 64});
  CHECK(t->type == GgmlType::F32);
  CHECK(r.find_tensor("nope") == nullptr);
  CHECK_THROWS_AS(r.get("nope"), LlmError);
  CHECK_THROWS_AS(r.get("general.architecture").as_u64("general.architecture"), LlmError);
}

TEST_CASE("gguf: writing the model back reproduces the file byte for byte") {
  if (model_missing()) return;
  GgufReader r = GgufReader::open(model_path());
  GgufWriter w;
  for (const auto& [k, v] : r.metadata()) w.set(k, v);
  for (const auto& t : r.tensors())
    w.add_tensor(t.name, t.type, t.dims, std::vector<std::byte>(t.data, t.data + t.n_bytes));
  auto bytes = w.to_bytes();
  auto orig = read_file(model_path());
  CHECK(bytes.size() == orig.size());
  CHECK(bytes == orig);
}

TEST_CASE("gguf: writing to a file gives the bytes of to_bytes, padding included") {
  const GgufWriter w = sample_writer();  // tensors of 10 and more bytes: padded to 32
  const std::string path = "gguf_write_test_" + std::to_string(::getpid()) + ".gguf";
  w.write(path);
  const auto file = read_file(path);
  std::remove(path.c_str());
  CHECK(file.size() % 32 == 0);
  CHECK(file == w.to_bytes());
}

TEST_CASE("gguf: every value type round-trips through the writer") {
  GgufReader r = GgufReader::from_bytes(sample_writer().to_bytes());
  CHECK(r.version() == 3);
  CHECK(r.get("u8").as_u64("") == 200);
  CHECK(r.get("i8").as_i64("") == -100);
  CHECK(r.get("u16").type() == GgufValueType::UINT16);
  CHECK(r.get("i16").as_i64("") == -30000);
  CHECK(r.get("u32").as_u64("") == 4000000000u);
  CHECK(r.get("i32").as_i64("") == -2000000000);
  CHECK(r.get("u64").as_u64("") == (1ull << 60));
  CHECK(r.get("i64").as_i64("") == -(1ll << 60));
  CHECK(r.get("f32").as_f64("") == 1.5);
  CHECK(r.get("f64").as_f64("") == 0.1);
  CHECK(r.get("bool").as_bool(""));
  const auto& nested = r.get("nested").as_array("");
  REQUIRE(nested.size() == 2);
  CHECK(nested[0].as_array("")[0].as_string("") == "a");
  CHECK(nested[0].as_array("")[1].as_string("") == "");
  CHECK(nested[1].as_array("")[0].as_i64("") == 7);
  CHECK_THROWS_AS(r.get("i8").as_u64("i8"), LlmError);  // negative
  const auto* a = r.find_tensor("a");
  REQUIRE(a);
  CHECK(std::to_integer<int>(a->data[5]) == 5);
  CHECK(r.find_tensor("h")->n_bytes == 10);
  CHECK(reinterpret_cast<uintptr_t>(r.find_tensor("h")->data - reinterpret_cast<uintptr_t>(a->data)) % 32 == 0);
  GgufWriter w;
  CHECK_THROWS_AS(w.add_tensor("x", GgmlType::F32, {3}, std::vector<std::byte>(11)), LlmError);
  CHECK_THROWS_AS(w.add_tensor("x", GgmlType::Q8_0, {16}, std::vector<std::byte>(17)), LlmError);
}

TEST_CASE("gguf: malformed files give clear errors") {
  const auto good = sample_writer().to_bytes();
  CHECK(error_of(good).empty());
  CHECK(error_of({}).find("truncated") != std::string::npos);
  auto bad = good;
  bad[0] = std::byte('X');
  CHECK(error_of(bad).find("bad magic") != std::string::npos);
  bad = good;
  poke<uint32_t>(bad, 4, 1);
  CHECK(error_of(bad).find("version 1") != std::string::npos);
  poke<uint32_t>(bad, 4, 99);
  CHECK(error_of(bad).find("unknown GGUF version 99") != std::string::npos);
  bad = good;
  poke<uint64_t>(bad, 16, 1ull << 50);  // metadata count
  CHECK(error_of(bad).find("metadata count") != std::string::npos);
  bad = good;
  poke<uint64_t>(bad, 8, 1ull << 50);  // tensor count
  CHECK(error_of(bad).find("tensor count") != std::string::npos);
  // Every prefix that cuts into the data is rejected as truncated, never read
  // past (what follows the last tensor's bytes is only alignment padding).
  const GgufReader whole = GgufReader::from_bytes(good);
  const size_t needed = whole.data_offset() + 32 + 10;  // tensor h: offset 32, 10 bytes
  for (size_t n = 0; n < needed; n += 3) {
    std::string e = error_of(std::vector<std::byte>(good.begin(), good.begin() + n));
    CAPTURE(n);
    CHECK(e.find("truncated") != std::string::npos);
  }
  // A tensor of an unknown type, and a misaligned offset.
  {
    // Locate tensor "a": name length 1, 'a', n_dims 1, dim 3, type 0, offset 0.
    std::vector<std::byte> pat(8 + 1 + 4 + 8);
    poke<uint64_t>(pat, 0, 1);
    pat[8] = std::byte('a');
    poke<uint32_t>(pat, 9, 1);
    poke<uint64_t>(pat, 13, 3);
    auto it = std::search(good.begin(), good.end(), pat.begin(), pat.end());
    REQUIRE(it != good.end());
    const size_t at = size_t(it - good.begin()) + pat.size();
    bad = good;
    poke<uint32_t>(bad, at, 1234);
    CHECK(error_of(bad).find("unknown or unsupported type 1234") != std::string::npos);
    bad = good;
    poke<uint64_t>(bad, at + 4, 8);
    CHECK(error_of(bad).find("not a multiple of the alignment") != std::string::npos);
    bad = good;
    poke<uint64_t>(bad, at + 4, 1ull << 40);
    CHECK(error_of(bad).find("truncated file: tensor a") != std::string::npos);
    bad = good;
    poke<uint64_t>(bad, at - 8, 0);
    CHECK(error_of(bad).find("zero or too large") != std::string::npos);
  }
}

TEST_CASE("gguf: model loading rejects unsupported or inconsistent models") {
  if (model_missing()) return;
  GgufReader src = GgufReader::open(model_path());
  auto rebuild = [&](auto&& edit_meta, auto&& skip_tensor) {
    GgufWriter w;
    for (const auto& [k, v] : src.metadata()) w.set(k, v);
    edit_meta(w);
    for (const auto& t : src.tensors())
      if (!skip_tensor(t.name)) w.add_tensor(t.name, t.type, t.dims, std::vector<std::byte>(t.data, t.data + t.n_bytes));
    return GgufReader::from_bytes(w.to_bytes());
  };
  auto none = [](const std::string&) { return false; };
  auto message = [](GgufReader r) -> std::string {
    try {
      Model::from_gguf(std::move(r));
    } catch (const LlmError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(message(rebuild([](GgufWriter&) {}, none)).empty());
  CHECK(message(rebuild([](GgufWriter& w) { w.set("general.architecture", GgufValue::make_string("gpt-neox")); }, none))
            .find("unsupported architecture \"gpt-neox\"") != std::string::npos);
  CHECK(message(rebuild([](GgufWriter&) {}, [](const std::string& n) { return n == "blk.3.attn_v.weight"; }))
            .find("missing tensor blk.3.attn_v.weight") != std::string::npos);
  CHECK(message(rebuild([](GgufWriter& w) { w.set("llama.feed_forward_length", GgufValue::u32(100)); }, none))
            .find("has shape [64, 172], but must be [64, 100]") != std::string::npos);
  CHECK(message(rebuild([](GgufWriter& w) { w.set("llama.attention.head_count", GgufValue::u32(7)); }, none))
            .find("not divisible") != std::string::npos);
  CHECK(message(rebuild([](GgufWriter& w) { w.set("tokenizer.ggml.model", GgufValue::make_string("gpt2")); }, none))
            .find("has no tokenizer.ggml.pre") != std::string::npos);
  CHECK(message(rebuild(
                    [](GgufWriter& w) {
                      w.set("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
                      w.set("tokenizer.ggml.pre", GgufValue::make_string("llama-bpe"));
                    },
                    none))
            .find("has no tokenizer.ggml.merges") != std::string::npos);
  CHECK(message(rebuild([](GgufWriter& w) { w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(600)); }, none))
            .find("bos token id is 600") != std::string::npos);
  // A tensor type the reader knows but the engine cannot compute with.
  GgufWriter w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  for (const auto& t : src.tensors()) {
    if (t.name == "blk.0.attn_q.weight")
      w.add_tensor(t.name, GgmlType::Q4_K, {256, 16}, std::vector<std::byte>(16 * 144));
    else
      w.add_tensor(t.name, t.type, t.dims, std::vector<std::byte>(t.data, t.data + t.n_bytes));
  }
  CHECK(message(GgufReader::from_bytes(w.to_bytes())).find("blk.0.attn_q.weight has shape") != std::string::npos);
  CHECK_THROWS_AS(GgufReader::open("/nonexistent/model.gguf"), GgufError);
}

TEST_CASE("gguf: fuzzing — mutated and truncated models never crash the loader") {
  if (model_missing()) return;
  const auto orig = read_file(model_path());
  const size_t header = 14176;  // metadata + tensor table; the rest is weights
  std::mt19937_64 rng(20250101);
  // Every outcome is counted, so the checks at the end can fail: a mutation
  // must load or be rejected with LlmError (any other exception is a bug in
  // the reader), a file cut inside its header can never load, and both
  // outcomes must occur (else the mutations test nothing).
  int loaded = 0, rejected = 0, truncated_loaded = 0, other_errors = 0;
  const int iterations = 2500;
  for (int it = 0; it < iterations; ++it) {
    auto b = orig;
    const int kind = int(rng() % 4);
    if (kind == 0) {
      b.resize(rng() % (header + 64));  // truncate inside the header
    } else {
      const int n = 1 + int(rng() % 8);
      for (int i = 0; i < n; ++i) {
        const size_t at = rng() % header;
        if (kind == 1)
          b[at] = std::byte(rng());  // random byte
        else if (kind == 2)
          b[at] ^= std::byte(1u << (rng() % 8));  // bit flip
        else
          b[at] = std::byte(rng() % 2 ? 0xFF : 0x00);  // extremes, e.g. huge lengths
      }
    }
    try {
      auto m = Model::from_gguf(GgufReader::from_bytes(std::move(b)));
      // It loaded: the mutation was harmless enough; exercise it.
      auto ids = m->tokenizer().encode("Once upon a time, 123 ☃");
      (void)m->tokenizer().decode(ids, false, true);
      KvCache cache(m->config());
      BatchDecoder dec(m, cache);
      Sequence s = cache.new_sequence();
      if (!ids.empty()) dec.prefill(s, std::span<const TokenId>(ids.data(), std::min<size_t>(ids.size(), 3)));
      ++loaded;
      if (kind == 0) ++truncated_loaded;
    } catch (const LlmError&) {
      ++rejected;
    } catch (const std::exception& e) {
      ++other_errors;
      MESSAGE("iteration " << it << ": not an LlmError: " << e.what());
    }
  }
  MESSAGE("fuzz: " << loaded << " mutated files loaded, " << rejected << " rejected with LlmError");
  CHECK(other_errors == 0);
  CHECK(truncated_loaded == 0);
  CHECK(loaded > 0);
  CHECK(rejected > 0);
}
