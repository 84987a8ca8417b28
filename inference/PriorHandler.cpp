// PriorHandler.cpp — prior draws, likelihood weighting, optional suspension.
#include "inference/PriorHandler.h"

#include <cmath>
#include <limits>

#include "inference/Batched.h"
#include "inference/Errors.h"

namespace borel::inference {

rt::Word PriorHandler::sample(rt::Ctx& ctx, const rt::Dist& d, rt::SiteId site) {
  if (parking && Parking::should_park(d)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Sample, d, 0, site);
    return 0;
  }
  return d.ops->sample(d, *ctx.rng);
}

void PriorHandler::not_finite(rt::Ctx& ctx, double log_w, rt::SiteId site, const char* what) {
  if (std::isnan(log_w)) throw site_error(model, site, method, std::string(what) + " is NaN");
  if (log_w > 0)
    throw site_error(model, site, method, std::string(what) + " is +infinity, so the weights cannot be normalised");
  // -infinity: this particle now has zero weight. It stops here (Sequential.h
  // never resumes it), so code after the condition that assumes it held
  // never runs.
  if (zero_site < 0) zero_site = site;
  ctx.suspend_requested = true;
}

void PriorHandler::observe(rt::Ctx& ctx, const rt::Dist& d, rt::Word v, rt::SiteId site) {
  if (!condition) return;
  if (parking && Parking::should_park(d, v)) [[unlikely]] {
    parking->park(ctx, *this, Parking::Effect::Observe, d, v, site);
    return;
  }
  add(ctx, d.ops->log_density(d, v), site, "the log-density of the observed value");
}

void PriorHandler::factor(rt::Ctx& ctx, double log_w, rt::SiteId site) {
  if (!condition) return;
  add(ctx, log_w, site, "the factor's log-weight");
}

}  // namespace borel::inference
