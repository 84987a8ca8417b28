#include "KvCache.h"

#include "Error.h"
#include "HalfArray.h"
#include "Model.h"

#include <algorithm>
#include <cstring>

namespace borel::llm {

using detail::KvBlock;

Sequence::Sequence(Sequence&& o) noexcept : cache_(o.cache_), tail_(o.tail_), len_(o.len_) {
  o.tail_ = nullptr;
  o.len_ = 0;
}

Sequence& Sequence::operator=(Sequence&& o) noexcept {
  if (this != &o) {
    if (cache_ && tail_) cache_->release(tail_);
    cache_ = o.cache_;
    tail_ = o.tail_;
    len_ = o.len_;
    o.tail_ = nullptr;
    o.len_ = 0;
  }
  return *this;
}

Sequence::~Sequence() {
  if (cache_ && tail_) cache_->release(tail_);
}

Sequence Sequence::fork() const {
  Sequence s(cache_);
  s.tail_ = tail_;
  s.len_ = len_;
  KvCache::retain(tail_);
  return s;
}

void Sequence::truncate(size_t n) {
  if (n >= len_) return;
  KvBlock* old = tail_;
  if (n == 0) {
    tail_ = nullptr;
  } else {
    const size_t want = (n - 1) / cache_->block_tokens_;
    KvBlock* b = tail_;
    while (b->index > want) b = b->parent;
    tail_ = b;
    KvCache::retain(tail_);
  }
  len_ = n;
  cache_->release(old);
}

std::vector<TokenId> Sequence::tokens() const {
  std::vector<TokenId> out(len_);
  if (!cache_) return out;
  const size_t bt = cache_->block_tokens_;
  for (const KvBlock* b = tail_; b; b = b->parent) {
    const size_t start = b->index * bt;
    const size_t n = std::min(bt, len_ - start);
    std::copy(b->tokens, b->tokens + n, out.begin() + start);
  }
  return out;
}

KvCache::KvCache(const ModelConfig& config, size_t block_tokens, size_t max_bytes, KvType type)
    : block_tokens_(block_tokens), n_layer_(config.n_layer), kv_dim_(config.kv_dim()), type_(type) {
  if (block_tokens == 0 || block_tokens > 4096)
    throw LlmError("kv cache: block_tokens is " + std::to_string(block_tokens) + ", but must be in 1..4096");
  block_elems_ = n_layer_ * 2 * block_tokens_ * kv_dim_;
  max_blocks_ = max_bytes ? std::max<size_t>(1, max_bytes / block_bytes()) : SIZE_MAX;
}

KvCache::~KvCache() = default;

void KvCache::shrink() {
  // Blocks on the free list keep their KvBlock header (cheap) but drop data.
  for (KvBlock* b : free_) {
    for (auto& s : storage_)
      if (s.get() == b->data) s.reset();
    for (auto& t : token_storage_)
      if (t.get() == b->tokens) t.reset();
    b->data = nullptr;
    b->tokens = nullptr;
  }
  std::erase_if(storage_, [](const auto& p) { return !p; });
  std::erase_if(token_storage_, [](const auto& p) { return !p; });
}

KvBlock* KvCache::allocate(KvBlock* parent, uint32_t index) {
  if (in_use_ >= max_blocks_)
    throw LlmError("kv cache: out of memory (" + std::to_string(in_use_) + " blocks of " + std::to_string(block_bytes()) +
                   " bytes in use, the cap)");
  KvBlock* b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    all_.push_back(std::make_unique<KvBlock>());
    b = all_.back().get();
  }
  if (!b->data) {
    storage_.push_back(std::make_unique<std::byte[]>(block_elems_ * elem_bytes()));
    token_storage_.push_back(std::make_unique<TokenId[]>(block_tokens_));
    b->data = storage_.back().get();
    b->tokens = token_storage_.back().get();
  }
  b->parent = parent;
  retain(parent);
  b->refs = 1;
  b->index = index;
  b->filled = 0;
  ++in_use_;
  peak_ = std::max(peak_, in_use_);
  return b;
}

void KvCache::release(KvBlock* b) {
  // Iterative, so that dropping a long chain cannot overflow the stack.
  while (b && --b->refs == 0) {
    KvBlock* parent = b->parent;
    b->parent = nullptr;
    free_.push_back(b);
    --in_use_;
    b = parent;
  }
}

KvCache::Slot KvCache::append(Sequence& seq, TokenId token) {
  if (seq.cache_ != this) throw LlmError("kv cache: the sequence belongs to another cache");
  const size_t bt = block_tokens_;
  if (!seq.tail_) {
    seq.tail_ = allocate(nullptr, 0);
  } else {
    KvBlock* t = seq.tail_;
    const size_t used = seq.len_ - size_t(t->index) * bt;  // positions of this block that seq owns
    if (used == bt) {
      // Full: chain a new block. The sequence's reference to t moves to the new block's parent link.
      KvBlock* nb = allocate(t, t->index + 1);
      release(t);
      seq.tail_ = nb;
    } else if (used < t->filled) {
      if (t->refs == 1) {
        t->filled = static_cast<uint32_t>(used);  // nobody else sees the positions past ours: reuse them
      } else {
        // Another sequence wrote past our end in this block: copy our part of it.
        KvBlock* nb = allocate(t->parent, t->index);
        for (size_t l = 0; l < n_layer_; ++l) {
          std::memcpy(data_at(nb, l, 0, 0), data_at(t, l, 0, 0), used * kv_dim_ * elem_bytes());
          std::memcpy(data_at(nb, l, 1, 0), data_at(t, l, 1, 0), used * kv_dim_ * elem_bytes());
        }
        std::copy(t->tokens, t->tokens + used, nb->tokens);
        nb->filled = static_cast<uint32_t>(used);
        release(t);
        seq.tail_ = nb;
      }
    }
  }
  KvBlock* t = seq.tail_;
  const size_t slot = seq.len_ - size_t(t->index) * bt;
  t->tokens[slot] = token;
  t->filled = static_cast<uint32_t>(slot + 1);
  ++seq.len_;
  return {t, slot};
}

void KvCache::store(const Slot& s, size_t l, const float* k, const float* v) {
  std::byte* kd = data_at(s.block, l, 0, s.slot);
  std::byte* vd = data_at(s.block, l, 1, s.slot);
  if (type_ == KvType::F32) {
    std::memcpy(kd, k, kv_dim_ * sizeof(float));
    std::memcpy(vd, v, kv_dim_ * sizeof(float));
  } else {
    floats_to_halves(k, reinterpret_cast<uint16_t*>(kd), kv_dim_);
    floats_to_halves(v, reinterpret_cast<uint16_t*>(vd), kv_dim_);
  }
}

void KvCache::blocks_of(const Sequence& seq, std::vector<const KvBlock*>& out) const {
  if (!seq.tail_) {
    out.clear();
    return;
  }
  out.resize(seq.tail_->index + 1);
  for (const KvBlock* b = seq.tail_; b; b = b->parent) out[b->index] = b;
}

}  // namespace borel::llm
