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

std::vector<llm::TokenId> TokenIndex::allowed(Regex& re, Regex::State s) const {
  std::vector<llm::TokenId> out;
  if (re.dead(s)) return out;
  // path[k]: the state after the first k bytes of the previous token; it
  // ends at the first dead state, so a token sharing a dead prefix is
  // rejected without a step.
  std::vector<Regex::State> path{s};
  for (size_t i = 0; i < order_.size(); ++i) {
    const std::string& b = bytes(order_[i]);
    const size_t keep = std::min<size_t>(shared_[i], path.size() - 1);
    path.resize(keep + 1);
    Regex::State x = path.back();
    for (size_t k = keep; k < b.size() && !re.dead(x); ++k) {
      x = re.step(x, static_cast<uint8_t>(b[k]));
      path.push_back(x);
    }
    if (!re.dead(x)) out.push_back(order_[i]);
  }
  if (re.accepting(s) && eos_ != llm::kNoToken) out.push_back(eos_);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace borel::lm
