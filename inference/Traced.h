// Traced.h — recording the random choices of SMC particles.
//
// During SMC a particle's run is spread over many steps and resampling
// copies particles, so its record must be persistent: an immutable list of
// GC nodes {prev, key, value}, newest first, whose head is the particle's
// auxiliary word (Population::aux); copying a particle shares its list.
// Addresses (key, k) are reconstructed from the list in execution order
// (Trace.h; the key is the site, or the name of a named choice). One node
// (24 bytes) per sample; nothing per observe.
//
// Resample-move with a lag (ResampleMove.h) also puts checkpoints in the
// list: nodes with key kCheckpoint whose value is a Checkpoint — the
// particle's continuation after a given observe/factor and the address
// counters there — from which later moves restart instead of replaying the
// whole run. Checkpoints are not choices: list_choices skips them.
//
// RecordingHandler is the PriorHandler of SMC (prior draws, weights from
// observe/factor, suspension after each) that also appends each choice to
// the particle's list. For conditional SMC (particle Gibbs) it imposes a
// reference path on particle 0: its k-th draw at a site takes the
// reference's value at (site, k) when there is one.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "inference/PriorHandler.h"
#include "inference/Trace.h"

namespace borel::inference {

struct TraceNode {
  const TraceNode* prev;
  rt::SiteId site;  // the choice's key (Trace.h choice_key), or kCheckpoint
  rt::Word value;
};

inline constexpr rt::SiteId kCheckpoint = -2;

// GC-allocated, immutable; `counts` holds ncounts (key, count) pairs.
struct Checkpoint {
  int64_t step;    // observes/factors passed
  rt::Word cont;   // the continuation there
  int64_t ncounts;
  std::pair<rt::SiteId, int64_t> counts[1];
};
const Checkpoint* checkpoint_of(const TraceNode* n);  // null unless n is a checkpoint node
// A checkpoint node on top of `prev`.
const TraceNode* push_checkpoint(const TraceNode* prev, int64_t step, rt::Word cont, const SiteCounts& counts);


// The (address, value) pairs of a list, in execution order, into `out`.
void list_choices(const TraceNode* head, std::vector<std::pair<Address, rt::Word>>& out);
// A list holding t's choices, on top of `prev`.
const TraceNode* list_of(const Trace& t, const TraceNode* prev = nullptr);

class RecordingHandler final : public InferenceHandler {
 public:
  const ValueMap* reference = nullptr;  // particle 0's path (conditional SMC)
  bool suspend = true;

  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override;
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override;
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId site) override;

 private:
  void add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what);
  FlatMap<rt::SiteId, int64_t, std::hash<rt::SiteId>> ref_counts_;  // particle 0's per-site counters
};

}  // namespace borel::inference
