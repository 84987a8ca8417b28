#include "BpeTokenizer.h"

#include "Error.h"
#include "Unicode.h"

#include <array>
#include <queue>

namespace borel::llm {

namespace {

constexpr bool stands_for_itself(unsigned b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteMap {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 0x144> to_byte{};  // code point -> byte, -1 where none
  constexpr ByteMap() {
    uint32_t next = 0x100;
    for (auto& b : to_byte) b = -1;
    for (unsigned b = 0; b < 256; ++b) {
      to_cp[b] = stands_for_itself(b) ? b : next++;
      to_byte[to_cp[b]] = int16_t(b);
    }
  }
};
constexpr ByteMap kByteMap;

// Lowest rank first; on equal ranks (the same pair twice) the leftmost.
struct Candidate {
  int32_t rank;
  int left, right;
  TokenId right_id, result;
  bool operator<(const Candidate& o) const {  // "lower priority than", for std::priority_queue
    return rank > o.rank || (rank == o.rank && left > o.left);
  }
};

uint64_t pair_key(TokenId a, TokenId b) { return uint64_t(uint32_t(a)) << 32 | uint32_t(b); }

}  // namespace

uint32_t byte_to_unicode(uint8_t byte) { return kByteMap.to_cp[byte]; }

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(kByteMap.to_cp[static_cast<uint8_t>(c)], out);
  return out;
}

BpeTokenizer::BpeTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  auto info = find_bpe_pre_tokenizer(vocab_.pre);
  if (!info) {
    throw LlmError(
        vocab_.pre.empty()
            ? std::string("tokenizer: the byte-level BPE vocabulary has no tokenizer.ggml.pre (supported: ") +
                  bpe_pre_tokenizer_names() + ")"
            : "tokenizer: unsupported tokenizer.ggml.pre \"" + vocab_.pre +
                  "\" (supported: " + bpe_pre_tokenizer_names() + ")");
  }
  pre_ = info->kind;
  ignore_merges_ = info->ignore_merges;
  if (vocab_.merges.empty()) throw LlmError("tokenizer: the byte-level BPE vocabulary has no tokenizer.ggml.merges");

  for (int b = 0; b < 256; ++b) {
    std::string s;
    append_utf8(kByteMap.to_cp[b], s);
    byte_ids_[b] = vocab_.text_to_id(s).value_or(kNoToken);
  }

  merges_.reserve(vocab_.merges.size());
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& m = vocab_.merges[rank];
    // The first space after the first character separates the two sides
    // (no byte-level token contains a space: it is written "Ġ").
    const size_t sp = m.size() < 2 ? std::string::npos : m.find(' ', 1);
    if (sp == std::string::npos || sp + 1 == m.size())
      throw LlmError("tokenizer: merge " + std::to_string(rank) + " \"" + m +
                     "\" is not two tokens separated by a space");
    if (rank > size_t(INT32_MAX)) throw LlmError("tokenizer: too many merges");
    const std::string_view left(m.data(), sp), right(m.data() + sp + 1, m.size() - sp - 1);
    auto l = vocab_.text_to_id(left), r = vocab_.text_to_id(right);
    auto result = vocab_.text_to_id(std::string(left) + std::string(right));
    if (!l || !r || !result) continue;
    merges_.emplace(pair_key(*l, *r), Merge{int32_t(rank), *result});  // a repeated pair keeps its first rank
  }
}

void BpeTokenizer::encode_piece(std::string_view piece, std::vector<TokenId>& out) const {
  // Llama 3's rule; control tokens excluded, so that their text in the input
  // stays ordinary text (Tokenizer.h).
  if (ignore_merges_) {
    auto id = vocab_.text_to_id(byte_level_encode(piece));
    if (id && !vocab_.is_control_or_unknown(*id)) {
      out.push_back(*id);
      return;
    }
  }
  struct Symbol {
    TokenId id;
    int prev, next;
    bool alive;
  };
  std::vector<Symbol> sym;
  sym.reserve(piece.size());
  for (char c : piece) {
    TokenId id = byte_ids_[static_cast<uint8_t>(c)];
    if (id == kNoToken) id = vocab_.unk;
    if (id == kNoToken) continue;  // a vocabulary without this byte and without <unk>: the byte is lost
    const int i = int(sym.size());
    sym.push_back({id, i - 1, i + 1, true});
  }
  if (sym.empty()) return;
  sym.back().next = -1;

  std::priority_queue<Candidate> queue;
  auto consider = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    auto it = merges_.find(pair_key(sym[l].id, sym[r].id));
    if (it != merges_.end()) queue.push({it->second.rank, l, r, sym[r].id, it->second.result});
  };
  for (int i = 0; i + 1 < int(sym.size()); ++i) consider(i, i + 1);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = sym[c.left];
    Symbol& r = sym[c.right];
    // Stale when a side has merged since: the left one can only have merged
    // into its left neighbour (it is dead) or with this right one (then dead);
    // the right one may have merged with its own right neighbour (new id).
    if (!l.alive || !r.alive || l.next != c.right || r.id != c.right_id) continue;
    l.id = c.result;
    r.alive = false;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
  for (int i = 0; i >= 0; i = sym[i].next) out.push_back(sym[i].id);
}

std::vector<TokenId> BpeTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<TokenId> out;
  if (add_special && vocab_.add_bos && vocab_.bos != kNoToken) out.push_back(vocab_.bos);
  for (std::string_view piece : pre_tokenize(pre_, text)) encode_piece(piece, out);
  if (add_special && vocab_.add_eos && vocab_.eos != kNoToken) out.push_back(vocab_.eos);
  return out;
}

std::string BpeTokenizer::token_to_piece(TokenId id, bool special) const {
  check_id(id);
  const std::string& text = vocab_.tokens[id];
  switch (vocab_.types[id]) {
    case TokenType::Control:
    case TokenType::Unknown: return special ? text : std::string();
    case TokenType::UserDefined: return text;
    case TokenType::Normal: {
      // Each character back to its byte; a character outside the map (not a
      // byte-level vocabulary) is kept as it is written.
      std::string r;
      r.reserve(text.size());
      for (size_t pos = 0; pos < text.size();) {
        const CodePoint c = next_code_point(text, pos);
        if (c.cp < kByteMap.to_byte.size() && kByteMap.to_byte[c.cp] >= 0)
          r += static_cast<char>(kByteMap.to_byte[c.cp]);
        else
          r.append(text, pos, c.len);
        pos += c.len;
      }
      return r;
    }
    default: return std::string();  // byte, unused and undefined tokens print as nothing, as in llama.cpp
  }
}

std::string BpeTokenizer::decode(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const {
  if (remove_special && vocab_.add_bos && vocab_.bos != kNoToken && !ids.empty() && ids.front() == vocab_.bos)
    ids = ids.subspan(1);
  if (remove_special && vocab_.add_eos && vocab_.eos != kNoToken && !ids.empty() && ids.back() == vocab_.eos)
    ids = ids.subspan(0, ids.size() - 1);
  std::string out;
  for (TokenId id : ids) out += token_to_piece(id, unparse_special);
  return out;
}

}  // namespace borel::llm
