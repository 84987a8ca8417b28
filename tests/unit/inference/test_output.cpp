// test_output.cpp — summaries, CSV/JSON output and value printing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "TestModels.h"
#include "inference/Components.h"
#include "inference/Empirical.h"
#include "inference/Infer.h"
#include "inference/Output.h"
#include "inference/Population.h"
#include "inference/Summary.h"

using namespace borel;
using namespace borel::inference;
using namespace borel::test;

namespace {

// {k: int, mu: real} (records are laid out sorted by field name).
const rt::TypeDesc kRecord{rt::TypeDesc::Tag::Record, nullptr, {&kInt, &kReal}, {"k", "mu"}};

// Four particles: mu = 1, 2, 3, 4; k = 0, 1, 1, 2; weights 0.1, 0.2, 0.3, 0.4.
// Weighted: mean mu 3, sd 1, quantiles 5% 1, 50% 3, 95% 4; ESS 1/0.3 = 3.33;
// P(k = 0, 1, 2) = 0.1, 0.5, 0.4.
rt::Dist* record_empirical() {
  Population pop(4);
  const int64_t ks[4] = {0, 1, 1, 2};
  for (int i = 0; i < 4; ++i) {
    rt::Tuple* v = rt::tuple_new(2);
    v->fields[0] = ks[i];
    v->fields[1] = rt::from_real(i + 1.0);
    pop.slots()[i] = rt::from_ptr(v);
    pop.status()[i] = Status::Done;
    pop.log_weights()[i] = std::log(0.1 * (i + 1)) + 7.0;  // unnormalised
  }
  Diagnostics d;
  d.method = "smc";
  d.particles = 4;
  d.steps = 3;
  d.resamplings = 1;
  d.ess = {4.0, 2.5, 1.0 / 0.3};
  return make_empirical(pop, &kRecord, d, -1.25);
}

}  // namespace

TEST_CASE("summary prints the weighted statistics of each component") {
  rt::Dist* d = record_empirical();
  const std::string s = summary(*d, kRecord);
  INFO(s);
  CHECK(s.find("smc: 4 particles, 3 steps, 1 resampling steps") == 0);
  CHECK(s.find("log evidence: -1.2500\n") != std::string::npos);
  CHECK(s.find("final ESS: 3.3 (83.3%)") != std::string::npos);
  // name, mean, sd, 5%, 50%, 95%, ESS
  CHECK(s.find("\nmu             3           1           1           3           4         3.3\n") != std::string::npos);
  CHECK(s.find("\nk            1.3      0.6403           0           1           2         3.3\n") != std::string::npos);
  CHECK(s.find("k:\n") != std::string::npos);
  CHECK(s.find("       1    0.5000  ########################################") != std::string::npos);
  CHECK(s.find("       2    0.4000") != std::string::npos);
}

TEST_CASE("weighted statistics and quantiles") {
  const WeightedStats st = weighted_stats({4, 1, 3, 2}, {0.4, 0.1, 0.3, 0.2});
  CHECK(st.mean == doctest::Approx(3.0));
  CHECK(st.sd == doctest::Approx(1.0));
  CHECK(st.q05 == 1);
  CHECK(st.q50 == 3);
  CHECK(st.q95 == 4);
  CHECK(st.ess == doctest::Approx(1 / 0.3));
  CHECK(weighted_quantile({1, 2}, {0.5, 0.5}, 0.5) == 1);
}

TEST_CASE("histograms of real components") {
  rt::Dist* d = record_empirical();
  SummaryOptions o;
  o.histogram = true;
  o.bins = 3;
  o.width = 10;
  const std::string s = summary(*d, kRecord, o);
  INFO(s);
  CHECK(s.find("mu:\n          1  0.1000  #\n") != std::string::npos);
  CHECK(s.find("          3  0.7000  ##########") != std::string::npos);
}

TEST_CASE("component names flatten records, tuples and arrays") {
  const rt::TypeDesc arr{rt::TypeDesc::Tag::Array, &kReal, {}, {}};
  const rt::TypeDesc tup{rt::TypeDesc::Tag::Tuple, nullptr, {&kBool, &arr}, {}};
  const rt::TypeDesc rec{rt::TypeDesc::Tag::Record, nullptr, {&tup, &kInt}, {"a", "b"}};
  rt::Array* xs = rt::array_new_atomic(2);
  rt::Tuple* t = rt::tuple_new(2);
  t->fields[0] = 1;
  t->fields[1] = rt::from_ptr(xs);
  rt::Tuple* r = rt::tuple_new(2);
  r->fields[0] = rt::from_ptr(t);
  r->fields[1] = 5;
  const rt::Word v = rt::from_ptr(r);
  const auto cs = components(rec, &v, 1);
  REQUIRE(cs.size() == 4);
  CHECK(cs[0].name == "a.0");
  CHECK(cs[1].name == "a.1[0]");
  CHECK(cs[2].name == "a.1[1]");
  CHECK(cs[3].name == "b");
  CHECK(*cs[3].get(v, rec) == 5);
  const rt::Word a = rt::from_ptr(xs);
  CHECK(components(arr, &a, 1)[1].name == "x[1]");
  CHECK(components(kReal, &a, 1, "theta")[0].name == "theta");
}

TEST_CASE("CSV and JSON output") {
  rt::Dist* d = record_empirical();
  const std::string csv = to_csv(*d, kRecord);
  CHECK(csv.find("k,mu,weight\n0,1,0.10000000000000") == 0);
  CHECK(csv.find("\n2,4,0.40000000000000") != std::string::npos);
  const std::string json = to_json(*d, kRecord);
  CHECK(json.find("\"method\":\"smc\"") != std::string::npos);
  CHECK(json.find("\"log_evidence\":-1.25") != std::string::npos);
  CHECK(json.find("\"values\":[{\"k\":0,\"mu\":1},{\"k\":1,\"mu\":2}") != std::string::npos);
  CHECK(json.find("\"type\":\"{k: int, mu: real}\"") != std::string::npos);
  CHECK_THROWS_AS(write_samples(*d, kRecord, "/tmp/out.txt"), rt::RuntimeError);
}

TEST_CASE("CSV of MCMC draws in Stan's layout: chain__, draw__, one row per draw") {
  CoinModel model(coin_flips());
  Method m;
  m.name = "mh";
  m.samples = 3;
  m.warmup = 0;
  m.chains = 2;
  m.progress = false;
  rt::Dist* d = infer(m, model, kReal, 4);
  const std::string csv = to_csv(*d, kReal, "p");
  CHECK(csv.find("chain__,draw__,p,weight\n1,1,") == 0);
  CHECK(csv.find("\n1,3,") != std::string::npos);
  CHECK(csv.find("\n2,1,") != std::string::npos);
  CHECK(csv.find("\n2,3,") != std::string::npos);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
  // Particle methods keep their layout.
  m.name = "importance";
  m.particles = 2;
  CHECK(to_csv(*infer(m, model, kReal, 4), kReal, "p").find("p,weight\n") == 0);
}

TEST_CASE("TypeDesc::to_string and format_value") {
  const rt::TypeDesc str{rt::TypeDesc::Tag::String, nullptr, {}, {}};
  const rt::TypeDesc arr{rt::TypeDesc::Tag::Array, &kInt, {}, {}};
  const rt::TypeDesc tup{rt::TypeDesc::Tag::Tuple, nullptr, {&kInt, &kReal}, {}};
  const rt::TypeDesc strs{rt::TypeDesc::Tag::Array, &str, {}, {}};
  const rt::TypeDesc dist{rt::TypeDesc::Tag::Dist, &kReal, {}, {}};
  CHECK(kRecord.to_string() == "{k: int, mu: real}");
  CHECK(tup.to_string() == "(int, real)");
  CHECK(dist.to_string() == "Dist[real]");
  CHECK(strs.to_string() == "[string]");

  CHECK(rt::format_value(rt::from_real(1.0), kReal) == "1.0");
  CHECK(rt::format_value(rt::from_real(-3.0), kReal) == "-3.0");
  CHECK(rt::format_value(rt::from_real(0.5), kReal) == "0.5");
  CHECK(rt::format_value(rt::from_real(1.0 / 3), kReal) == "0.3333333333333333");
  CHECK(rt::format_value(rt::from_real(123456.0), kReal) == "123456.0");
  CHECK(rt::format_value(rt::from_real(1e6), kReal) == "1e+06");
  CHECK(rt::format_value(rt::from_real(-INFINITY), kReal) == "-inf");
  CHECK(rt::format_value(rt::from_real(NAN), kReal) == "nan");
  CHECK(rt::format_value(1, kBool) == "true");
  CHECK(rt::format_value(-7, kInt) == "-7");

  rt::Array* a = rt::array_new_atomic(2);
  a->data[0] = 1;
  a->data[1] = 2;
  CHECK(rt::format_value(rt::from_ptr(a), arr) == "[1, 2]");
  rt::Tuple* t = rt::tuple_new(2);
  t->fields[0] = 1;
  t->fields[1] = rt::from_real(2.5);
  CHECK(rt::format_value(rt::from_ptr(t), tup) == "(1, 2.5)");
  rt::Tuple* r = rt::tuple_new(2);
  r->fields[0] = 2;
  r->fields[1] = rt::from_real(1.5);
  CHECK(rt::format_value(rt::from_ptr(r), kRecord) == "{k: 2, mu: 1.5}");
  rt::String* s = rt::string_new("say \"hi\"");
  CHECK(rt::format_value(rt::from_ptr(s), str) == "say \"hi\"");
  rt::Array* ss = rt::array_new(1);
  ss->data[0] = rt::from_ptr(s);
  CHECK(rt::format_value(rt::from_ptr(ss), strs) == "[\"say \\\"hi\\\"\"]");
  rt::Dist n = normal(0.0, 1.0);
  CHECK(rt::format_value(rt::from_ptr(&n), dist) == "normal(0.0, 1.0)");
}

namespace {

// An MCMC result of `chains` chains, chain-major, the draws given.
rt::Dist* mcmc_empirical(const std::vector<double>& draws, int64_t chains) {
  const auto n = static_cast<int64_t>(draws.size());
  Population pop(n);
  for (int64_t i = 0; i < n; ++i) {
    pop.slots()[i] = rt::from_real(draws[static_cast<size_t>(i)]);
    pop.status()[i] = Status::Done;
  }
  Diagnostics d;
  d.method = "mh";
  d.particles = n;
  d.chains = chains;
  return make_empirical(pop, &kReal, d, std::nan(""));
}

}  // namespace

TEST_CASE("summary: R-hat of chains that never moved prints inf, undefined statistics NaN, with warnings") {
  // Two chains, each constant, at different values: no within-chain variance.
  // An earlier version printed R-hat as 6354246513367298 or so, unexplained.
  std::vector<double> stuck(10, 0.1);
  stuck.resize(20, 0.7);
  std::string s = summary(*mcmc_empirical(stuck, 2), kReal);
  INFO(s);
  CHECK(s.find("         NaN         inf ") != std::string::npos);  // tail ESS, R-hat
  CHECK(s.find("warning: x: R-hat is inf: every chain is constant but the chains differ") != std::string::npos);
  CHECK(s.find("warning: x: tail ESS is NaN") != std::string::npos);
  CHECK(s.find("nan") == std::string::npos);
  // Every draw the same: every statistic NaN.
  s = summary(*mcmc_empirical(std::vector<double>(20, 3.0), 2), kReal);
  CHECK(s.find("       NaN         NaN         NaN         NaN") != std::string::npos);
  CHECK(s.find("warning: x: every draw is the same value, so R-hat and ESS are undefined (NaN)") != std::string::npos);
}

TEST_CASE("summary: after a final resampling the ESS is that of the weights before it") {
  // Four particles of equal weight that a resampling made from weights whose
  // ESS was 2: the column and the header say 2 (50%), not 4.
  Population pop(4);
  for (int i = 0; i < 4; ++i) {
    pop.slots()[i] = rt::from_real(i);
    pop.status()[i] = Status::Done;
  }
  Diagnostics d;
  d.method = "smc";
  d.particles = 4;
  d.steps = 2;
  d.resamplings = 1;
  d.ess = {2.0, 4.0};
  d.ess_before_resampling = 2.0;
  rt::Dist* e = make_empirical(pop, &kReal, d, 0.0);
  CHECK(final_ess(*empirical_data(*e)) == doctest::Approx(2.0));
  const std::string s = summary(*e, kReal);
  INFO(s);
  CHECK(s.find("final ESS: 2.0 (50.0%), lowest 2.0 (50.0%) at step 1\n") != std::string::npos);
  CHECK(s.find("         2.0\n") != std::string::npos);
  // Below 100: the weights collapsed.
  CHECK(s.find("warning: the weights collapsed: the ESS fell to 2.0 of 4 particles") != std::string::npos);
}
