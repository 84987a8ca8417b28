// RewardServer.cpp — see RewardServer.h.
#include "RewardServer.h"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>

#include "Error.h"
#include "OpenAiClient.h"
#include "runtime/BatchWork.h"
#include "runtime/Model.h"
#include "runtime/Rng.h"

namespace borel::lm {

namespace json = boost::json;

std::shared_ptr<RewardServer> RewardServer::connect(const std::string& url) {
  static std::mutex m;
  static std::map<std::string, std::shared_ptr<RewardServer>> connected;
  std::lock_guard<std::mutex> lock(m);
  auto& s = connected[url];
  if (!s) s = std::make_shared<RewardServer>(url);
  return s;
}

RewardServer::RewardServer(const std::string& url) : url_(url) {
  llm::http::ClientOptions o;
  o.base_url = url;
  o.max_connections = 8;
  try {
    client_ = std::make_unique<llm::http::OpenAiClient>(o);
  } catch (const llm::http::HttpError& e) {
    throw rt::RuntimeError{"", std::string("reward_server: ") + e.what()};
  }
}

RewardServer::~RewardServer() = default;

std::vector<std::vector<double>> RewardServer::score_many(std::span<const Request> requests) {
  std::vector<std::string> bodies;
  bodies.reserve(requests.size());
  for (const Request& r : requests) {
    json::array steps;
    for (const std::string& s : r.steps) steps.emplace_back(s);
    bodies.push_back(json::serialize(json::object{{"question", r.question}, {"steps", std::move(steps)}}));
  }
  // Each answer: {"scores": [one number in [0, 1] per step]}.
  std::vector<size_t> expected;
  for (const Request& r : requests) expected.push_back(r.steps.size());
  size_t next = 0;  // decode is called in request order (decode_all)
  const auto decode = [&](const json::value& v) {
    const size_t want = expected[next++];
    const json::object* o = v.if_object();
    const json::value* s = o ? o->if_contains("scores") : nullptr;
    if (!s || !s->is_array()) throw llm::LlmError("the answer has no \"scores\" array");
    std::vector<double> out;
    for (const json::value& x : s->as_array()) {
      if (!x.is_number()) throw llm::LlmError("a score is not a number");
      const double d = x.to_number<double>();
      if (!(d >= 0 && d <= 1))
      {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        throw llm::LlmError("score " + std::to_string(out.size() + 1) + " is " + buf + ", but scores must be in [0, 1]");
      }
      out.push_back(d);
    }
    if (out.size() != want)
      throw llm::LlmError("the answer has " + std::to_string(out.size()) + " scores for " + std::to_string(want) +
                          " steps");
    return out;
  };
  std::vector<std::vector<double>> out;
  out.reserve(requests.size());
  for (auto& o : client_->post_many("", bodies, decode)) {
    if (!o.ok()) throw rt::RuntimeError{"", std::string("reward server: ") + o.error().what()};
    out.push_back(o.value());
  }
  return out;
}

namespace {

// process_reward: a[0] the server, a[1] a scanned array {question, steps};
// p[0] log p(true), p[1] log p(false) (NaN until scored; p[1] written first).
RewardServer& server_of(const rt::Dist& d) { return *rt::to_ptr<RewardServer>(d.a[0]); }
const rt::Array* parts(const rt::Dist& d) { return rt::to_ptr<const rt::Array>(d.a[1]); }
std::string text(rt::Word w) { return std::string(rt::view(rt::to_ptr<const rt::String>(w))); }

RewardServer::Request request_of(const rt::Dist& d) {
  RewardServer::Request r{text(parts(d)->data[0]), {}};
  const auto* steps = rt::to_ptr<const rt::Array>(parts(d)->data[1]);
  for (int64_t i = 0; i < steps->len; ++i) r.steps.push_back(text(steps->data[i]));
  return r;
}

double load(const double& x) { return std::atomic_ref<double>(const_cast<double&>(x)).load(std::memory_order_acquire); }
void store(const double& x, double v) { std::atomic_ref<double>(const_cast<double&>(x)).store(v, std::memory_order_release); }

void set_score(const rt::Dist& d, double score) {
  store(d.p[1], std::log1p(-score));
  store(d.p[0], std::log(score));
}
double log_p_true(const rt::Dist& d) {
  if (const double l = load(d.p[0]); !std::isnan(l)) return l;
  const RewardServer::Request r = request_of(d);
  set_score(d, server_of(d).score_many({&r, 1})[0].back());
  return load(d.p[0]);
}

bool ok(const rt::Dist&, std::string&) { return true; }
rt::Word pr_sample(const rt::Dist& d, rt::Rng& rng) { return rng.uniform() < std::exp(log_p_true(d)) ? 1 : 0; }
double pr_log_density(const rt::Dist& d, rt::Word v) {
  const double l = log_p_true(d);
  return v == 1 ? l : v == 0 ? load(d.p[1]) : -std::numeric_limits<double>::infinity();
}
bool pr_in_support(const rt::Dist&, rt::Word v) { return v == 0 || v == 1; }
double pr_mean(const rt::Dist& d) { return std::exp(log_p_true(d)); }
double pr_variance(const rt::Dist& d) {
  const double p = pr_mean(d);
  return p * (1 - p);
}

// All particles' verdicts: per server, one score_many (concurrent requests).
class RewardBatch final : public rt::BatchWork {
 public:
  void prepare(std::span<const rt::Pending> work) override {
    std::vector<std::pair<RewardServer*, std::vector<const rt::Dist*>>> by_server;
    for (const rt::Pending& p : work) {
      RewardServer* s = &server_of(*p.d);
      auto it = std::find_if(by_server.begin(), by_server.end(), [&](const auto& e) { return e.first == s; });
      if (it == by_server.end()) it = by_server.insert(by_server.end(), {s, {}});
      it->second.push_back(p.d);
    }
    for (auto& [server, ds] : by_server) {
      std::vector<RewardServer::Request> rs;
      for (const rt::Dist* d : ds) rs.push_back(request_of(*d));
      const std::vector<std::vector<double>> scores = server->score_many(rs);
      for (size_t i = 0; i < ds.size(); ++i) set_score(*ds[i], scores[i].back());
    }
  }
};
RewardBatch reward_batch;

rt::BatchWork* pr_pending(const rt::Dist& d) { return std::isnan(load(d.p[0])) ? &reward_batch : nullptr; }

}  // namespace

const rt::DistOps process_reward_ops = {
    "process_reward", 0, {}, {}, rt::Kind::Bool, "{false, true}",
    ok, pr_sample, pr_log_density, pr_in_support, pr_mean, pr_variance, rt::Support::Discrete, nullptr, pr_pending,
};

rt::Dist* make_process_reward(RewardServer* rs, const std::string& question, const rt::Array* steps) {
  if (steps->len == 0) throw rt::RuntimeError{"", "process_reward: steps is empty (the reward is that of the last step)"};
  rt::Array* a = rt::array_new(2);
  a->data[0] = rt::from_ptr(rt::string_new(question));
  a->data[1] = rt::from_ptr(steps);
  rt::Dist d{};
  d.ops = &process_reward_ops;
  d.p[0] = d.p[1] = std::numeric_limits<double>::quiet_NaN();
  d.a[0] = rt::from_ptr(rs);
  d.a[1] = rt::from_ptr(a);
  return rt::dist_box(d);
}

}  // namespace borel::lm
