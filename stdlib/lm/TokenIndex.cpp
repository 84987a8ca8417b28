// TokenIndex.cpp — see TokenIndex.h.
#include "TokenIndex.h"

#include <algorithm>

namespace borel::lm {

TokenIndex::TokenIndex(std::vector<std::string> pieces, std::vector<bool> text, llm::TokenId eos)
    : bytes_(std::move(pieces)), eos_(eos) {
  for (size_t i = 0; i < bytes_.size(); ++i)
    if (i < text.size() && text[i] && !bytes_[i].empty() && static_cast<llm::TokenId>(i) != eos)
      order_.push_back(static_cast<llm::TokenId>(i));
  std::sort(order_.begin(), order_.end(), [&](llm::TokenId a, llm::TokenId b) {
    const int c = bytes(a).compare(bytes(b));
    return c < 0 || (c == 0 && a < b);
  });
  shared_.resize(order_.size(), 0);
  for (size_t i = 1; i < order_.size(); ++i) {
    const std::string &a = bytes(order_[i - 1]), &b = bytes(order_[i]);
    const auto mis = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    shared_[i] = static_cast<uint32_t>(mis.first - a.begin());
  }
}

std::shared_ptr<const TokenIndex> TokenIndex::of(const llm::Tokenizer& tokenizer) {
  const llm::Vocab& v = tokenizer.vocab();
  std::vector<std::string> bytes(v.size());
  std::vector<bool> text(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const auto id = static_cast<llm::TokenId>(i);
    const llm::TokenType t = v.types[i];
    text[i] = t == llm::TokenType::Normal || t == llm::TokenType::UserDefined || t == llm::TokenType::Byte;
    if (text[i]) bytes[i] = tokenizer.token_to_piece(id, false);
  }
  return std::make_shared<const TokenIndex>(std::move(bytes), std::move(text), v.eos);
}

std::vector<llm::TokenId> TokenIndex::text_ids() const {
  std::vector<llm::TokenId> ids = order_;
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace borel::lm
