// Traced.h — recording the random choices of SMC particles.
//
// During SMC a particle's run is spread over many steps and resampling
// copies particles, so its record must be persistent: an immutable list of
// GC nodes {prev, site, value}, newest first, whose head is the particle's
// auxiliary word (Population::aux); copying a particle shares its list.
// Addresses (site, k) are reconstructed from the list in execution order
// (Trace.h). One node (24 bytes) per sample; nothing per observe.
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
  rt::SiteId site;
  rt::Word value;
};

using ValueMap = std::unordered_map<Address, rt::Word, AddressHash>;

// The (address, value) pairs of a list, in execution order, into `out`.
void list_choices(const TraceNode* head, std::vector<std::pair<Address, rt::Word>>& out);
// A list holding t's choices.
const TraceNode* list_of(const Trace& t);

class RecordingHandler final : public InferenceHandler {
 public:
  const ValueMap* reference = nullptr;  // particle 0's path (conditional SMC)
  bool suspend = true;

  rt::Word sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) override;
  void observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) override;
  void factor(rt::Ctx& ctx, double log_w, rt::SiteId site) override;

 private:
  void add(rt::Ctx& ctx, double lw, rt::SiteId site, const char* what);
  std::unordered_map<rt::SiteId, int64_t> ref_counts_;  // particle 0's per-site counters
};

}  // namespace borel::inference
