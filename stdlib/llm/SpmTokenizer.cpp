#include "SpmTokenizer.h"

#include "Error.h"

#include <queue>
#include <unordered_map>

namespace borel::llm {

namespace {

const std::string kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

// Length of the UTF-8 sequence that starts with byte c (1 for invalid bytes,
// so any byte string splits into symbols).
size_t utf8_len(unsigned char c) {
  static const size_t lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[c >> 4];
}

struct Symbol {
  int prev, next;
  size_t start, n;  // byte range in the escaped text; n == 0 once merged away
};

struct Bigram {
  int left, right;
  float score;
  size_t size;
};

// Highest score first; among equal scores, the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {}

void SpmTokenizer::encode_fragment(const std::string& text, std::vector<TokenId>& out) const {
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < text.size();) {
    size_t len = std::min(utf8_len(static_cast<unsigned char>(text[pos])), text.size() - pos);
    int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, idx + 1, pos, len});
    pos += len;
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  // Which two symbols produced a merged piece, to split pieces that are not
  // themselves tokens back into tokens (llama.cpp's rev_merge).
  std::unordered_map<std::string, std::pair<int, int>> rev_merge;

  auto try_add = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    std::string piece = text.substr(symbols[left].start, symbols[left].n + symbols[right].n);
    auto id = vocab_.text_to_id(piece);
    if (!id) return;
    queue.push({left, right, vocab_.scores[*id], piece.size()});
    rev_merge[piece] = {left, right};
  };

  for (size_t i = 1; i < symbols.size(); ++i) try_add(int(i) - 1, int(i));

  while (!queue.empty()) {
    Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale: a side was merged already
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  // Emit each final symbol: as a token if it is one, else split along the
  // merges that built it, else as bytes.
  auto resegment = [&](auto& self, const Symbol& s) -> void {
    std::string piece = text.substr(s.start, s.n);
    if (auto id = vocab_.text_to_id(piece)) {
      out.push_back(*id);
      return;
    }
    auto it = rev_merge.find(piece);
    if (it == rev_merge.end()) {
      for (char c : piece) {
        TokenId t = vocab_.byte_token(static_cast<uint8_t>(c));
        out.push_back(t != kNoToken ? t : (vocab_.unk != kNoToken ? vocab_.unk : 0));
      }
      return;
    }
    self(self, symbols[it->second.first]);
    self(self, symbols[it->second.second]);
  };
  for (int i = 0; i != -1; i = symbols[i].next) resegment(resegment, symbols[i]);
}

std::vector<TokenId> SpmTokenizer::encode(std::string_view text, bool add_special) const {
  std::vector<TokenId> out;
  if (add_special && vocab_.add_bos && vocab_.bos != kNoToken) out.push_back(vocab_.bos);
  if (!text.empty()) {
    std::string escaped;
    escaped.reserve(text.size() * 3 + 3);
    if (vocab_.add_space_prefix) escaped += kSpace;
    for (char c : text) {
      if (c == ' ')
        escaped += kSpace;
      else
        escaped += c;
    }
    encode_fragment(escaped, out);
  }
  if (add_special && vocab_.add_eos && vocab_.eos != kNoToken) out.push_back(vocab_.eos);
  return out;
}

std::string SpmTokenizer::token_to_piece(TokenId id, bool special) const {
  check_id(id);
  const TokenType type = vocab_.types[id];
  const std::string& text = vocab_.tokens[id];
  switch (type) {
    case TokenType::Control:
    case TokenType::Unknown: return special ? text : std::string();
    case TokenType::UserDefined: return text;
    case TokenType::Normal: {
      std::string r;
      r.reserve(text.size());
      for (size_t i = 0; i < text.size();) {
        if (text.compare(i, kSpace.size(), kSpace) == 0) {
          r += ' ';
          i += kSpace.size();
        } else {
          r += text[i++];
        }
      }
      return r;
    }
    case TokenType::Byte: {
      // "<0xNN>"
      if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>') {
        try {
          return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
        } catch (const std::exception&) {
        }
      }
      throw LlmError("tokenizer: byte token " + std::to_string(id) + " is named \"" + text + "\", not <0xNN>");
    }
    default: return std::string();  // unused / undefined tokens print as nothing, as in llama.cpp
  }
}

std::string SpmTokenizer::decode(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const {
  // The space prefix added by encode is removed, unless a leading BOS is
  // being removed (then the text starts with that space, as in llama.cpp).
  bool remove_space = vocab_.add_space_prefix;
  if (remove_special && vocab_.add_bos && vocab_.bos != kNoToken && !ids.empty() && ids.front() == vocab_.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (remove_special && vocab_.add_eos && vocab_.eos != kNoToken && !ids.empty() && ids.back() == vocab_.eos)
    ids = ids.subspan(0, ids.size() - 1);
  std::string out;
  for (TokenId id : ids) {
    std::string piece = token_to_piece(id, unparse_special);
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    out += piece;
  }
  return out;
}

}  // namespace borel::llm
