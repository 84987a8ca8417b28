// Summary.cpp — tables, frequency tables and histograms (see Summary.h).
#include "inference/Summary.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>

#include "inference/Components.h"
#include "inference/Empirical.h"
#include "inference/McmcStats.h"
#include "inference/Format.h"

namespace borel::inference {

namespace {

// A statistic that may be undefined or unbounded: "NaN" and "inf", never
// glibc's "-nan" nor the digits of a huge finite value.
std::string stat(const char* f, double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return fmt(f, x);
}

// Below this many effective draws the Monte Carlo standard error of a mean,
// sd/√ESS, exceeds a tenth of the posterior sd: the summaries warn (per
// chain for MCMC, as Stan; in all for weighted particles).
constexpr double kMinEss = 100.0;

// The MCMC warnings about one component (see docs/inference.md).
std::string mcmc_warnings(const std::string& name, const McmcStats& st, int64_t chains, int64_t draws) {
  std::string w;
  if (draws < 6)  // split chains of fewer than 3 draws: no ESS (McmcStats.h)
    return "warning: " + name + ": " + std::to_string(draws) +
           " draws per chain are too few for R-hat and ESS (NaN): keep at least 6\n";
  if (st.sd == 0) {
    return "warning: " + name +
           ": every draw is the same value, so R-hat and ESS are undefined (NaN): the chains cannot "
           "show whether they mixed (a choice no move changes?)\n";
  }
  if (!std::isfinite(st.sd))
    return "warning: " + name + ": some draws are NaN or infinite: R-hat, ESS and MCSE are undefined (NaN) or "
           "meaningless\n";
  if (std::isinf(st.rhat)) {
    w += "warning: " + name +
         ": R-hat is inf: every chain is constant but the chains differ (no variance within the chains): "
         "they never moved; use another kernel\n";
  } else if (std::isnan(st.rhat)) {
    w += "warning: " + name +
         ": R-hat is NaN (every draw is equally far from the median: two values, equally often): the "
         "chains cannot show whether they mixed\n";
  } else if (st.rhat > 1.01) {
    w += "warning: " + name + ": R-hat is " + fmt("%.3f", st.rhat) +
         " > 1.01: the chains have not mixed; run longer or use another kernel\n";
  }
  if (std::isnan(st.ess_tail)) {  // (the bulk ESS is defined for finite draws that are not all equal)
    w += "warning: " + name +
         ": tail ESS is NaN: the 5% or 95% quantile is the smallest or largest draw (few distinct values), so a "
         "tail indicator is constant\n";
  }
  const double min_ess = kMinEss * static_cast<double>(chains);
  if (st.ess_bulk < min_ess || st.ess_tail < min_ess)
    w += "warning: " + name + ": ESS (bulk " + stat("%.0f", st.ess_bulk) + ", tail " + stat("%.0f", st.ess_tail) +
         ") is below 100 per chain\n";
  return w;
}

std::string pad(std::string s, size_t width, bool left = false) {
  if (s.size() >= width) return s;
  return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

// Sorted (x, w) pairs with w > 0.
std::vector<std::pair<double, double>> sorted_pairs(const std::vector<double>& x, const std::vector<double>& w) {
  std::vector<std::pair<double, double>> p;
  p.reserve(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    if (w[i] > 0 && !std::isnan(x[i])) p.emplace_back(x[i], w[i]);
  std::sort(p.begin(), p.end());
  return p;
}

double quantile_sorted(const std::vector<std::pair<double, double>>& p, double total, double q) {
  if (p.empty()) return std::numeric_limits<double>::quiet_NaN();
  double c = 0.0;
  const double target = q * total;
  for (const auto& [x, w] : p) {
    c += w;
    if (c >= target * (1 - 1e-12)) return x;
  }
  return p.back().first;
}

std::string bar(double frac, int width) {
  const int k = static_cast<int>(std::lround(frac * width));
  return std::string(static_cast<size_t>(std::max(0, k)), '#');
}

}  // namespace

double weighted_quantile(std::vector<double> x, std::vector<double> w, double p) {
  const auto pairs = sorted_pairs(x, w);
  double total = 0.0;
  for (const auto& pr : pairs) total += pr.second;
  return quantile_sorted(pairs, total, p);
}

WeightedStats weighted_stats(std::vector<double> x, std::vector<double> w) {
  WeightedStats s{};
  const auto pairs = sorted_pairs(x, w);
  double total = 0.0, sq = 0.0, m = 0.0;
  for (const auto& [xi, wi] : pairs) {
    total += wi;
    m += wi * xi;
  }
  s.total_weight = total;
  if (total <= 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan, nan, nan, nan, 0.0, 0.0};
  }
  m /= total;
  double v = 0.0;
  for (const auto& [xi, wi] : pairs) {
    v += wi * (xi - m) * (xi - m);
    sq += (wi / total) * (wi / total);
  }
  s.mean = m;
  s.sd = std::sqrt(v / total);
  s.q05 = quantile_sorted(pairs, total, 0.05);
  s.q50 = quantile_sorted(pairs, total, 0.50);
  s.q95 = quantile_sorted(pairs, total, 0.95);
  s.ess = 1.0 / sq;
  return s;
}

std::string summary(const rt::Dist& d, const rt::TypeDesc& t, const SummaryOptions& o) {
  const EmpiricalData* e = empirical_data(d);
  std::string out;
  if (!e) {
    rt::TypeDesc dt{rt::TypeDesc::Tag::Dist, &t, {}, {}};
    out += rt::format_value(rt::from_ptr(&d), dt) + "\n";
    if (t.is_scalar() && d.ops->mean)
      out += "mean " + fmt("%.4g", d.ops->mean(d)) + ", sd " + fmt("%.4g", std::sqrt(d.ops->variance(d))) + "\n";
    return out;
  }
  // As many particles as the method ran: those of zero weight are not in the values.
  const int64_t ran = e->particles + e->zero_weight, n = e->particles;
  char line[256];
  std::snprintf(line, sizeof line, "%s: %lld particles, %lld steps, %lld resampling steps, %.3g s\n",
                rt::view(e->method).data(), static_cast<long long>(ran), static_cast<long long>(e->steps),
                static_cast<long long>(e->resamplings), e->seconds);
  if (std::string_view(rt::view(e->method)) == "advi")
    std::snprintf(line, sizeof line, "advi: %lld draws of the fitted approximation, %.3g s\n",
                  static_cast<long long>(ran), e->seconds);
  if (std::string_view(rt::view(e->method)) == "vi")
    std::snprintf(line, sizeof line, "vi: %lld draws of the fitted guide, %.3g s\n", static_cast<long long>(ran),
                  e->seconds);
  if (e->chains > 0) {
    std::snprintf(line, sizeof line, "%s: %lld chains x %lld draws, %.3g s\n", rt::view(e->method).data(),
                  static_cast<long long>(e->chains), static_cast<long long>(n / e->chains), e->seconds);
  }
  out += line;
  if (e->acceptance) out += "acceptance: " + std::string(rt::view(e->acceptance)) + "\n";
  if (e->notes) out += rt::view(e->notes);
  if (!std::isnan(e->log_evidence)) out += "log evidence: " + fmt("%.4f", e->log_evidence) + "\n";
  std::string warnings = e->warnings ? std::string(rt::view(e->warnings)) : std::string();
  if (e->chains == 0 && e->ess && e->ess->len > 0) {
    // After a final resampling the weights are equal: final_ess is that of
    // the weights before it (Empirical.h).
    const double ess = final_ess(*e);
    out += "final ESS: " + fmt("%.1f", ess) + " (" + fmt("%.1f", 100.0 * ess / static_cast<double>(ran)) + "%)";
    // After resampling the final weights are equal whatever happened before:
    // the smallest ESS over the steps says how hard the run was.
    int64_t worst = 0;
    for (int64_t i = 1; i < e->ess->len; ++i)
      if (rt::array_real(e->ess, i) < rt::array_real(e->ess, worst)) worst = i;
    const double w = rt::array_real(e->ess, worst);
    if (e->ess->len > 1)
      out += ", lowest " + fmt("%.1f", w) + " (" + fmt("%.1f", 100.0 * w / static_cast<double>(ran)) + "%) at step " +
             std::to_string(worst + 1);
    out += "\n";
    // Collapse: fewer than kMinEss effective particles at some step (or in
    // the end) leaves a mean's Monte Carlo error above a tenth of its sd and
    // the log evidence unreliable. Enumeration's weights are exact
    // probabilities, not a sample, and the prior's are equal.
    const std::string method(rt::view(e->method));
    const bool low_final = ess < w * (1 - 1e-9);  // below every step's (a scale < 1 after a final resampling)
    const double lowest = low_final ? ess : w;
    if (method != "enumerate" && method != "prior" && lowest < kMinEss)
      warnings += "warning: the weights collapsed: the ESS " + std::string(e->ess->len > 1 ? "fell to " : "is ") +
                  fmt("%.1f", lowest) + " of " + std::to_string(ran) + " particles" +
                  (low_final || e->ess->len == 1 ? std::string() : " at step " + std::to_string(worst + 1)) +
                  "; below 100 the Monte Carlo error of a mean exceeds a tenth of its sd, and the log evidence "
                  "may be far off (it is biased low): use more particles or a better proposal\n";
  }

  bool truncated = false;
  const auto comps = components(t, e->values->data, n, o.name, o.max_components, &truncated);
  if (comps.empty()) {
    out += "(no numeric components in values of type " + t.to_string() + ")\n";
    return out;
  }
  size_t nw = 4;
  for (const auto& c : comps) nw = std::max(nw, c.name.size());
  out += "\n" + pad("", nw, true);
  const bool mcmc = e->chains > 0 && n % e->chains == 0;
  for (const char* h : {"mean", "sd", "5%", "50%", "95%", mcmc ? "ESS_bulk" : "ESS"}) out += "  " + pad(h, 10);
  if (mcmc)
    for (const char* h : {"ESS_tail", "R-hat", "MCSE"}) out += "  " + pad(h, 10);
  out += "\n";

  std::string tables;
  for (const auto& c : comps) {
    std::vector<double> xs, ws;
    xs.reserve(static_cast<size_t>(n));
    ws.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const auto v = c.get(e->values->data[i], t);
      if (!v) continue;
      xs.push_back(scalar_as_real(*v, *c.type));
      ws.push_back(rt::array_real(e->weights, i));
    }
    const WeightedStats s = weighted_stats(xs, ws);
    out += pad(c.name, nw, true);
    for (double x : {s.mean, s.sd, s.q05, s.q50, s.q95}) out += "  " + pad(fmt("%.4g", x), 10);
    if (mcmc) {
      // Bulk and tail ESS, split R-hat and MCSE of the mean from the chains (McmcStats.h).
      const int64_t per = n / e->chains;
      std::vector<std::vector<double>> ch(static_cast<size_t>(e->chains));
      bool complete = true;
      for (int64_t k = 0; k < e->chains && complete; ++k)
        for (int64_t i = 0; i < per; ++i) {
          const auto v = c.get(e->values->data[k * per + i], t);
          if (!v) {
            complete = false;
            break;
          }
          ch[static_cast<size_t>(k)].push_back(scalar_as_real(*v, *c.type));
        }
      const McmcStats st = complete ? mcmc_stats(ch) : McmcStats{NAN, NAN, NAN, NAN, NAN, NAN};
      out += "  " + pad(stat("%.1f", st.ess_bulk), 10) + "  " + pad(stat("%.1f", st.ess_tail), 10) + "  " +
             pad(stat("%.3f", st.rhat), 10) + "  " + pad(stat("%.2g", st.mcse_mean), 10);
      if (complete) warnings += mcmc_warnings(c.name, st, e->chains, per);
    } else {
      out += "  " + pad(stat("%.1f", s.ess * e->ess_scale), 10);
    }
    if (s.total_weight < 1 - 1e-9) out += "  (present in " + fmt("%.1f", 100 * s.total_weight) + "% of the weight)";
    out += "\n";

    if (c.type->tag != rt::TypeDesc::Tag::Real) {
      // Frequency table: the most probable values, listed in ascending order.
      std::map<double, double> freq;
      for (size_t i = 0; i < xs.size(); ++i) freq[xs[i]] += ws[i];
      std::vector<std::pair<double, double>> levels(freq.begin(), freq.end());
      size_t shown = levels.size();
      double rest = 0.0;
      if (levels.size() > static_cast<size_t>(o.max_levels)) {
        std::vector<std::pair<double, double>> top = levels;
        std::partial_sort(top.begin(), top.begin() + o.max_levels, top.end(),
                          [](const auto& a, const auto& b) { return a.second > b.second; });
        top.resize(static_cast<size_t>(o.max_levels));
        double kept = 0.0;
        for (const auto& l : top) kept += l.second;
        rest = s.total_weight - kept;
        std::sort(top.begin(), top.end());
        levels = top;
      }
      double maxp = 0.0;
      for (const auto& l : levels) maxp = std::max(maxp, l.second / s.total_weight);
      tables += "\n" + c.name + ":\n" + pad("value", 8) + "  " + pad("prob", 8) + "\n";
      const bool is_bool = c.type->tag == rt::TypeDesc::Tag::Bool;
      for (const auto& [x, w] : levels) {
        const double p = w / s.total_weight;
        const std::string label = is_bool ? (x != 0 ? "true" : "false") : fmt("%.0f", x);
        tables += pad(label, 8) + "  " + pad(fmt("%.4f", p), 8) + "  " + bar(maxp > 0 ? p / maxp : 0, o.width) + "\n";
      }
      if (levels.size() < shown)
        tables += "  (" + std::to_string(shown - levels.size()) + " more values, probability " +
                  fmt("%.4f", rest / s.total_weight) + ")\n";
    } else if (o.histogram && !xs.empty()) {
      const auto [lo_it, hi_it] = std::minmax_element(xs.begin(), xs.end());
      const double lo = *lo_it, hi = *hi_it;
      const int bins = std::max(1, o.bins);
      std::vector<double> h(static_cast<size_t>(bins), 0.0);
      const double width = hi > lo ? (hi - lo) / bins : 1.0;
      for (size_t i = 0; i < xs.size(); ++i) {
        int b = hi > lo ? static_cast<int>((xs[i] - lo) / width) : 0;
        h[static_cast<size_t>(std::clamp(b, 0, bins - 1))] += ws[i];
      }
      const double hmax = *std::max_element(h.begin(), h.end());
      tables += "\n" + c.name + ":\n";
      for (int b = 0; b < bins; ++b)
        tables += pad(fmt("%.4g", lo + b * width), 11) + " " + pad(fmt("%.4f", h[b] / s.total_weight), 7) + "  " +
                  bar(hmax > 0 ? h[b] / hmax : 0, o.width) + "\n";
    }
  }
  if (truncated) out += "... more components not shown\n";
  if (e->stuck_chains > 0)
    warnings += "warning: " + std::to_string(e->stuck_chains) + " chain(s) never moved after warm-up\n";
  out += warnings;
  return out + tables;
}

}  // namespace borel::inference
