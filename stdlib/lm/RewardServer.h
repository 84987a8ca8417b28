// RewardServer.h — an external process reward model (a PRM) behind HTTP, and
// its verdict on a partial solution as a Borel distribution.
//
// There is no common API for reward servers; this one follows the shape of
// its_hub's process reward models — score(question, steps) -> one score per
// step — as one JSON POST to the URL the program gives:
//
//   POST <url>   {"question": "...", "steps": ["step 1", "step 2", ...]}
//   200          {"scores": [0.93, 0.41, ...]}
//
// one score per step, each in [0, 1]: the model's probability that the
// solution is still correct after that step (docs/llm.md, "Process rewards").
//
//   process_reward(rs, question, steps)
//                Dist[bool]: true with probability the score of the last
//                step. observe(process_reward(rs, q, steps), true) weighs a
//                particle by its newest step's reward — a particle filter
//                over reasoning steps (its_hub's particle filtering, as
//                inference). Pending until scored (runtime/BatchWork.h), so
//                SMC sends all particles' requests together, concurrently
//                on the client's connections.
//
// Guarantees: a score is a number in [0, 1], one per step; anything else —
// a refused connection, a timeout, an HTTP error status, a body of another
// shape — is an rt::RuntimeError naming the URL (the ABI adds the program's
// location). Requests are retried as OpenAiClient's (5xx, 429, connection
// errors). Values live for the whole process; calls from several threads are
// safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/Dist.h"

namespace borel::llm::http {
class OpenAiClient;
}

namespace borel::lm {

class RewardServer {
 public:
  // One per URL for the process (a program holds it as a plain pointer).
  static std::shared_ptr<RewardServer> connect(const std::string& url);
  explicit RewardServer(const std::string& url);
  ~RewardServer();

  const std::string& url() const { return url_; }
  struct Request {
    std::string question;
    std::vector<std::string> steps;
  };
  // The scores of every request (one per step), sent concurrently. Throws
  // rt::RuntimeError (no location) naming the URL on the first failure.
  std::vector<std::vector<double>> score_many(std::span<const Request> requests);

 private:
  std::string url_;
  std::unique_ptr<llm::http::OpenAiClient> client_;
};

extern const rt::DistOps process_reward_ops;
// The verdict on `steps` (a non-empty array of strings).
rt::Dist* make_process_reward(RewardServer* rs, const std::string& question, const rt::Array* steps);

}  // namespace borel::lm
