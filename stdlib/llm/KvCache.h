// KvCache.h — the attention key/value cache, in fixed-size blocks shared
// between sequences, so that a sequence forks in O(1).
//
// A sequence is a chain of blocks, each pointing to the block before it;
// blocks are reference-counted by the sequences and the blocks that point to
// them. Forking copies one pointer and bumps one count. Appending writes into
// the last block in place when no other sequence has written past the same
// point, and otherwise copies that one partly-filled block first
// (copy-on-write at the boundary: at most block_tokens - 1 positions are
// copied, never the shared prefix). A block returns to the free list the
// moment nothing refers to it; memory is never held for dead sequences.
//
// Each block also records the token ids it holds, so a sequence can report
// its tokens.
//
// Keys and values are stored as F16 (the default) or F32. F16 halves the
// cache's memory and the bytes attention reads; each stored value is the
// float rounded to nearest half (relative error at most 2^-11), and attention
// converts it back exactly, so an F16 cache computes exactly what an F32
// cache holding the rounded values would.
//
// Thread safety: a KvCache and its sequences are used by one thread at a time
// (the decoder's worker threads only read and write block data of the
// sequences they were handed).
#pragma once

#include "Vocab.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace borel::llm {

struct ModelConfig;
class KvCache;

namespace detail {
struct KvBlock {
  KvBlock* parent = nullptr;
  uint32_t refs = 0;
  uint32_t index = 0;   // position of this block in its chain (0 = first)
  uint32_t filled = 0;  // slots written by any sequence
  std::byte* data = nullptr;
  TokenId* tokens = nullptr;
};
}  // namespace detail

// One sequence's view of the cache: its tokens so far. Move-only; copy with
// fork(). Destroying it releases its blocks. Must not outlive its KvCache.
class Sequence {
public:
  Sequence() = default;
  Sequence(Sequence&& o) noexcept;
  Sequence& operator=(Sequence&& o) noexcept;
  Sequence(const Sequence&) = delete;
  Sequence& operator=(const Sequence&) = delete;
  ~Sequence();

  // A new sequence sharing every cached position with this one. O(1).
  Sequence fork() const;
  // Drops positions n and after (no-op when n >= size()). O(blocks).
  void truncate(size_t n);

  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }
  std::vector<TokenId> tokens() const;
  KvCache* cache() const { return cache_; }

private:
  friend class KvCache;
  Sequence(KvCache* c) : cache_(c) {}
  KvCache* cache_ = nullptr;
  detail::KvBlock* tail_ = nullptr;
  size_t len_ = 0;
};

enum class KvType { F32, F16 };

class KvCache {
public:
  // `block_tokens` positions per block; `max_bytes` caps block memory (0 = no
  // cap); keys and values stored as `type`.
  KvCache(const ModelConfig& config, size_t block_tokens = 16, size_t max_bytes = 0, KvType type = KvType::F16);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  Sequence new_sequence() { return Sequence(this); }

  size_t block_tokens() const { return block_tokens_; }
  size_t n_layer() const { return n_layer_; }
  size_t kv_dim() const { return kv_dim_; }
  KvType type() const { return type_; }
  size_t elem_bytes() const { return type_ == KvType::F16 ? 2 : 4; }
  size_t block_bytes() const { return block_elems_ * elem_bytes() + block_tokens_ * sizeof(TokenId); }
  size_t blocks_in_use() const { return in_use_; }
  size_t bytes_in_use() const { return in_use_ * block_bytes(); }
  size_t peak_bytes() const { return peak_ * block_bytes(); }
  size_t blocks_allocated() const { return all_.size(); }
  // Frees the storage of blocks on the free list.
  void shrink();

  // --- For the forward pass. -------------------------------------------------
  // Appends a position holding `token` to `seq` and returns where its keys and
  // values go: the block and slot.
  struct Slot {
    detail::KvBlock* block;
    size_t slot;
  };
  Slot append(Sequence& seq, TokenId token);
  // The blocks of `seq` in order (out is resized to the number of blocks).
  void blocks_of(const Sequence& seq, std::vector<const detail::KvBlock*>& out) const;
  // Keys / values of layer `l` inside a block: block_tokens x kv_dim values
  // of type(), elem_bytes() each.
  const std::byte* keys(const detail::KvBlock* b, size_t l) const {
    return b->data + l * 2 * block_tokens_ * kv_dim_ * elem_bytes();
  }
  const std::byte* values(const detail::KvBlock* b, size_t l) const {
    return keys(b, l) + block_tokens_ * kv_dim_ * elem_bytes();
  }
  // Writes one position's keys and values (kv_dim floats each) for layer l,
  // rounding them to the storage type.
  void store(const Slot& s, size_t l, const float* k, const float* v);

private:
  friend class Sequence;
  detail::KvBlock* allocate(detail::KvBlock* parent, uint32_t index);
  void release(detail::KvBlock* b);
  static void retain(detail::KvBlock* b) {
    if (b) ++b->refs;
  }

  std::byte* data_at(detail::KvBlock* b, size_t l, size_t which, size_t slot) const {
    return b->data + ((l * 2 + which) * block_tokens_ + slot) * kv_dim_ * elem_bytes();
  }

  size_t block_tokens_, n_layer_, kv_dim_, block_elems_, max_blocks_;
  KvType type_;
  std::vector<std::unique_ptr<detail::KvBlock>> all_;
  std::vector<std::unique_ptr<std::byte[]>> storage_;
  std::vector<std::unique_ptr<TokenId[]>> token_storage_;
  std::vector<detail::KvBlock*> free_;
  size_t in_use_ = 0, peak_ = 0;
};

}  // namespace borel::llm
