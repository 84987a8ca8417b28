// ResampleMove.cpp — SMC with MCMC rejuvenation (see ResampleMove.h).
#include "inference/ResampleMove.h"

#include <atomic>
#include <limits>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "inference/Contexts.h"
#include "inference/Errors.h"
#include "inference/Kernels.h"
#include "inference/Parallel.h"
#include "inference/Traced.h"

namespace borel::inference {

struct Rejuvenator::Impl {
  rt::Model* model;
  int64_t moves;
  std::string kernel;
  const char* method;
  WorkerPool pool;
  Contexts ctx;
  std::vector<TraceHandler> handlers;
  std::vector<std::vector<std::unique_ptr<Kernel>>> kernels;  // per thread
  std::vector<rt::Rng> rngs;                                  // per slot
  std::vector<int64_t> accepted, proposed;                    // per thread
  Impl(rt::Model& m, int64_t n, int64_t mv, std::string k, uint64_t seed, int threads, const char* meth)
      : model(&m), moves(mv), kernel(std::move(k)), method(meth),
        pool(static_cast<int>(std::min<int64_t>(threads <= 0 ? std::max(1u, std::thread::hardware_concurrency())
                                                              : threads, n))),
        ctx(pool.size()), handlers(static_cast<size_t>(pool.size())),
        accepted(static_cast<size_t>(pool.size()), 0), proposed(static_cast<size_t>(pool.size()), 0) {
    for (int k = 0; k < pool.size(); ++k) {
      handlers[static_cast<size_t>(k)].method = method;
      handlers[static_cast<size_t>(k)].model = model;
      kernels.push_back(make_kernels(kernel, method));
    }
    rngs.reserve(static_cast<size_t>(n));
    // Move streams: independent of the SMC streams (a different seed hash).
    for (int64_t i = 0; i < n; ++i) rngs.emplace_back(seed ^ 0x6a09e667f3bcc909ull, 1 + static_cast<uint64_t>(i));
  }
};

Rejuvenator::Rejuvenator(rt::Model& model, int64_t particles, int64_t moves, std::string kernel, uint64_t seed,
                         int threads, const char* method)
    : impl_(new Impl(model, particles, moves, std::move(kernel), seed, threads, method)) {}
Rejuvenator::~Rejuvenator() { delete impl_; }

double Rejuvenator::acceptance() const {
  int64_t a = 0, p = 0;
  for (size_t k = 0; k < impl_->accepted.size(); ++k) {
    a += impl_->accepted[k];
    p += impl_->proposed[k];
  }
  return p ? static_cast<double>(a) / static_cast<double>(p) : std::numeric_limits<double>::quiet_NaN();
}

void Rejuvenator::operator()(Population& pop, int64_t step) {
  Impl& im = *impl_;
  im.pool.for_chunks(pop.size(), [&](int k, int64_t b, int64_t e) {
    TraceHandler& h = im.handlers[static_cast<size_t>(k)];
    auto& kernels = im.kernels[static_cast<size_t>(k)];
    std::vector<std::pair<Address, rt::Word>> choices;
    ValueMap values;
    ChainState st;
    st.model = im.model;
    st.ctx = &im.ctx[k];
    st.handler = &h;
    st.suspend_at = step;
    st.sweep = false;
    for (int64_t i = b; i < e; ++i) {
      // The particle's trace: replay its recorded values up to the same point.
      list_choices(rt::to_ptr<const TraceNode>(pop.aux()[i]), choices);
      values.clear();
      for (const auto& [a, v] : choices) values[a] = v;
      st.rng = &im.rngs[static_cast<size_t>(i)];
      h.old = nullptr;
      h.redraw = Address{};
      h.proposed = &values;
      h.suspend_at = step;
      st.ctx->rng = st.rng;
      run_traced(*im.model, *st.ctx, h, st.cur);
      for (int64_t m = 0; m < im.moves; ++m)
        for (auto& kern : kernels) kern->iterate(st);
      pop.slots()[i] = st.cur.result[0];
      pop.status()[i] = st.cur.done ? Status::Done : Status::Suspended;
      pop.aux()[i] = rt::from_ptr(list_of(st.cur));
    }
    int64_t a = 0, p = 0;
    for (auto& kern : kernels)
      for (const KernelStats& s : kern->stats()) {
        a += s.accepted;
        p += s.proposed;
      }
    im.accepted[static_cast<size_t>(k)] = a;
    im.proposed[static_cast<size_t>(k)] = p;
  });
}

Population resample_move(rt::Model& model, const ResampleMoveSettings& rs, uint64_t seed, int threads,
                         Diagnostics* diagnostics) {
  if (rs.moves < 0) throw method_error(rs.smc.method, "moves is " + std::to_string(rs.moves) + ", but must be non-negative");
  make_kernels(rs.kernel, rs.smc.method);
  Rejuvenator rejuvenate(model, rs.smc.particles, rs.moves, rs.kernel, seed, threads, rs.smc.method);
  SmcSettings s = rs.smc;
  s.aux = true;
  const char* method = s.method;
  s.make_handler = [method] {
    auto h = std::make_unique<RecordingHandler>();
    h->method = method;
    return std::unique_ptr<InferenceHandler>(std::move(h));
  };
  s.after_resample = [&](Population& pop, int64_t step) { rejuvenate(pop, step); };
  Diagnostics local;
  Diagnostics& d = diagnostics ? *diagnostics : local;
  Population pop = smc(model, s, seed, threads, &d);
  const double acc = rejuvenate.acceptance();
  if (acc == acc) d.acceptance.emplace_back("moves", acc);
  return pop;
}

}  // namespace borel::inference
