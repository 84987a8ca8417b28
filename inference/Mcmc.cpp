// Mcmc.cpp — the chain driver (see Mcmc.h).
#include "inference/Mcmc.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Kernels.h"
#include "inference/NutsKernel.h"
#include "inference/Parallel.h"
#include "inference/Streams.h"

namespace borel::inference {

namespace {
void check(const McmcSettings& s) {
  require_at_least(s.method, "samples", s.samples, 1);
  require_at_least(s.method, "warmup", s.warmup, 0);
  require_at_least(s.method, "chains", s.chains, 1);
  require_at_least(s.method, "thin", s.thin, 1);
}
}  // namespace

Population mcmc(rt::Model& model, const McmcSettings& s, uint64_t seed, int threads, Diagnostics* diagnostics) {
  check(s);
  make_kernels(s.kernel, s.method);  // validate the kernel names before starting threads
  const Metric metric = kernel_metric(s.metric, s.method);
  rt::gc_init();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = s.samples * s.chains;
  Population pop(n);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  WorkerPool pool(static_cast<int>(std::min<int64_t>(threads, s.chains)));
  Contexts ctx(pool.size());
  std::vector<std::vector<std::vector<KernelStats>>> stats(static_cast<size_t>(s.chains));

  pool.for_chunks(s.chains, [&](int k, int64_t b, int64_t e) {
    TraceHandler h;
    h.method = s.method;
    h.model = &model;
    for (int64_t c = b; c < e; ++c) {
      rt::Rng rng = particle_stream(seed, c);
      ChainState st;
      st.model = &model;
      st.ctx = &ctx[k];
      st.handler = &h;
      st.rng = &rng;
      auto kernels = make_kernels(s.kernel, s.method);
      configure_nuts(kernels, metric, s.warmup);
      st.init_from_prior();
      st.warmup = true;
      for (int64_t i = 0; i < s.warmup; ++i)
        for (auto& kern : kernels) kern->iterate(st);
      st.warmup = false;
      // Acceptance is reported after warm-up only.
      std::vector<std::vector<KernelStats>> before;
      for (auto& kern : kernels) before.push_back(kern->stats());
      for (int64_t d = 0; d < s.samples; ++d) {
        for (int64_t t = 0; t < s.thin; ++t)
          for (auto& kern : kernels) kern->iterate(st);
        const int64_t slot = c * s.samples + d;
        pop.slots()[slot] = st.cur.result[0];
        pop.status()[slot] = Status::Done;
      }
      auto& out = stats[static_cast<size_t>(c)];
      for (size_t j = 0; j < kernels.size(); ++j) {
        auto now = kernels[j]->stats();
        for (size_t q = 0; q < now.size(); ++q) {
          now[q].proposed -= before[j][q].proposed;
          now[q].accepted -= before[j][q].accepted;
          now[q].accept_stat_sum -= before[j][q].accept_stat_sum;
        }
        out.push_back(now);
      }
    }
  });

  Diagnostics local;
  Diagnostics& d = start_diagnostics(diagnostics, local, s.method, n, s.chains);
  d.steps = s.warmup + s.samples * s.thin;
  // Acceptance per kind of move, summed over chains; and per chain, to spot stuck chains.
  std::vector<KernelStats> total;
  for (int64_t c = 0; c < s.chains; ++c) {
    int64_t acc = 0;
    for (const auto& ks : stats[static_cast<size_t>(c)])
      for (const KernelStats& k : ks) {
        acc += k.accepted;
        auto it = std::find_if(total.begin(), total.end(), [&](const KernelStats& t) { return t.name == k.name; });
        if (it == total.end()) total.push_back(k);
        else {
          it->proposed += k.proposed;
          it->accepted += k.accepted;
          it->accept_stat_sum += k.accept_stat_sum;
        }
      }
    d.chain_accepted.push_back(acc);
  }
  for (const KernelStats& k : total)
    if (k.proposed > 0)
      d.acceptance.emplace_back(k.name, (k.mean_accept_stat ? k.accept_stat_sum : static_cast<double>(k.accepted)) /
                                            static_cast<double>(k.proposed));
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pop;
}

}  // namespace borel::inference
