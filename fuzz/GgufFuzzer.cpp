// GgufFuzzer.cpp — libFuzzer target: arbitrary bytes as a GGUF file through
// the reader, the model loader, the tokenizer and a short forward pass.
//
// What it guarantees when it runs clean: on any bytes, GgufReader::from_bytes
// and Model::from_gguf either succeed or throw LlmError (GgufError is one);
// nothing else escapes, nothing reads out of bounds, overflows or leaks. A
// model that loads can encode and decode text and prefill a few tokens.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "BatchDecoder.h"
#include "Error.h"
#include "GgufReader.h"
#include "KvCache.h"
#include "Model.h"

using namespace borel::llm;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  try {
    GgufReader r = GgufReader::from_bytes(std::move(bytes));
    // Reading back what the reader accepted must be safe.
    for (const auto& [key, value] : r.metadata()) (void)r.find(key);
    for (const auto& t : r.tensors()) (void)t.n_elements();
    auto m = Model::from_gguf(std::move(r));
    auto ids = m->tokenizer().encode("Once upon a time, 123 \xe2\x98\x83 <0x41>");
    (void)m->tokenizer().decode(ids, false, true);
    // A small cap on cache memory: a forged context length or layer count
    // must not make the fuzzer allocate gigabytes.
    KvCache cache(m->config(), 16, size_t{64} << 20);
    BatchDecoder dec(m, cache);
    Sequence s = cache.new_sequence();
    if (!ids.empty()) dec.prefill(s, std::span<const TokenId>(ids.data(), std::min<size_t>(ids.size(), 3)));
  } catch (const LlmError&) {
    // A malformed file: the documented outcome.
  }
  return 0;
}
