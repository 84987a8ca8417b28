#include "LmCommand.h"

#include "Llm.h"
#include "OpenAiServer.h"

#include <CLI/CLI.hpp>

#include "tools/SeedOption.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

namespace borel::tools {

namespace {

using namespace borel::llm;

// A token's text for a table or JSON: control characters escaped.
std::string escape(const std::string& s, bool json) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' && json) {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += char(c);
    }
  }
  return out;
}

// Pieces may be partial UTF-8 (byte tokens); JSON output gets them as bytes
// escaped, tables as they are.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x80)
      out += fmt::format("\\u{:04x}", c);  // one code point per raw byte: lossless, always valid JSON
    else
      out += escape(std::string(1, char(c)), true);
  }
  return out + "\"";
}

std::string json_number(double x) {
  if (std::isinf(x)) return x < 0 ? "-1e999" : "1e999";
  return fmt::format("{:.6f}", x);
}

struct Common {
  std::string model;
  unsigned threads = 1;
  bool json = false;
};

int cmd_info(const Common& c) {
  auto m = Model::load(c.model);
  fmt::print("{}\n", m->describe());
  const auto& g = m->gguf();
  fmt::print("GGUF v{}, {} metadata keys, {} tensors, data at offset {}\n", g.version(), g.metadata().size(),
             g.tensors().size(), g.data_offset());
  return 0;
}

int cmd_generate(const Common& c, const std::string& prompt, size_t max_tokens, const SamplingParams& sp, uint64_t seed,
                 bool stop_at_eos) {
  check_params(sp);  // before the model loads: a bad option must not cost a run
  auto m = Model::load(c.model);
  const Tokenizer& tok = m->tokenizer();
  KvCache cache(m->config());
  BatchDecoder dec(m, cache, c.threads);
  Sequence s = cache.new_sequence();
  auto ids = tok.encode(prompt);
  if (ids.empty()) throw LlmError("generate: the prompt is empty and the model adds no BOS token");
  std::mt19937_64 rng(seed);
  const auto t0 = std::chrono::steady_clock::now();
  auto logits = dec.prefill(s, ids);
  std::vector<SampledToken> out;
  if (!c.json) {
    fmt::print("{}", tok.decode(ids));
    std::fflush(stdout);
  }
  for (size_t i = 0; i < max_tokens; ++i) {
    SampledToken st = sample(logits, sp, uniform01(rng));
    out.push_back(st);
    if (stop_at_eos && st.token == tok.vocab().eos) break;
    if (!c.json) {
      fmt::print("{}", tok.token_to_piece(st.token, false));
      std::fflush(stdout);
    }
    TokenId t[1] = {st.token};
    logits = dec.prefill(s, t);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double lp = 0, lq = 0;
  for (const auto& st : out) {
    lp += st.logp_model;
    lq += st.logp_proposal;
  }
  if (c.json) {
    std::vector<TokenId> gen;
    for (const auto& st : out) gen.push_back(st.token);
    fmt::print("{{\"prompt_ids\": [{}], \"tokens\": [", fmt::join(ids, ", "));
    for (size_t i = 0; i < out.size(); ++i)
      fmt::print("{}{{\"id\": {}, \"piece\": {}, \"logp_model\": {}, \"logp_proposal\": {}}}", i ? ", " : "", out[i].token,
                 json_string(tok.token_to_piece(out[i].token)), json_number(out[i].logp_model),
                 json_number(out[i].logp_proposal));
    fmt::print("], \"text\": {}, \"logp_model\": {}, \"logp_proposal\": {}, \"seconds\": {:.6f}}}\n",
               json_string(tok.decode(gen, false)), json_number(lp), json_number(lq), secs);
  } else {
    fmt::print("\n\n[{} tokens, log p = {:.4f} under the model, log q = {:.4f} under the sampler, {:.1f} tokens/s]\n",
               out.size(), lp, lq, double(out.size() + ids.size()) / secs);
  }
  return 0;
}

int cmd_score(const Common& c, const std::string& prompt, const std::string& continuation) {
  auto m = Model::load(c.model);
  const Tokenizer& tok = m->tokenizer();
  // The continuation's tokens are those of prompt + continuation after the
  // prompt's own tokens (tokenising the continuation alone would give it a
  // space prefix it does not have in context).
  const auto p_ids = tok.encode(prompt);
  const auto all = tok.encode(prompt + continuation);
  size_t common = 0;
  while (common < p_ids.size() && common < all.size() && p_ids[common] == all[common]) ++common;
  if (common == 0) throw LlmError("score: the prompt must tokenize to at least one token (BOS)");
  std::vector<TokenId> ctx(all.begin(), all.begin() + long(common)), cont(all.begin() + long(common), all.end());
  KvCache cache(m->config());
  BatchDecoder dec(m, cache, c.threads);
  Sequence s = cache.new_sequence();
  dec.prefill(s, ctx);
  ScoreResult r = dec.score(s, cont);
  if (c.json) {
    fmt::print("{{\"context_ids\": [{}], \"tokens\": [", fmt::join(ctx, ", "));
    for (size_t i = 0; i < cont.size(); ++i)
      fmt::print("{}{{\"id\": {}, \"piece\": {}, \"logprob\": {}}}", i ? ", " : "", cont[i],
                 json_string(tok.token_to_piece(cont[i])), json_number(r.token_logprobs[i]));
    fmt::print("], \"total_logprob\": {}}}\n", json_number(r.total));
    return 0;
  }
  if (common < p_ids.size())
    fmt::print("note: the last {} prompt token(s) merge with the continuation; scoring from \"{}\"\n",
               p_ids.size() - common, escape(tok.decode(ctx), false));
  fmt::print("{:>4}  {:>6}  {:<16}  {:>10}  {:>10}\n", "#", "id", "piece", "log p", "p");
  for (size_t i = 0; i < cont.size(); ++i)
    fmt::print("{:>4}  {:>6}  {:<16}  {:>10.5f}  {:>10.5f}\n", i, cont[i], "\"" + escape(tok.token_to_piece(cont[i]), false) + "\"",
               r.token_logprobs[i], std::exp(r.token_logprobs[i]));
  const double n = double(std::max<size_t>(1, cont.size()));
  fmt::print("total log p = {:.6f} over {} tokens (mean {:.6f}, perplexity {:.4f})\n", r.total, cont.size(), r.total / n,
             std::exp(-r.total / n));
  return 0;
}

// Throws LlmError when `path` cannot be opened for writing; leaves an
// existing file as it is and removes one it had to create.
void check_writable(const std::string& path) {
  struct stat before {};
  const bool existed = ::stat(path.c_str(), &before) == 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw LlmError("cannot write \"" + path + "\": " + std::strerror(errno));
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
}

int cmd_quantize(const std::string& in, const std::string& out, const std::string& type) {
  GgmlType t;
  if (type == "q8_0")
    t = GgmlType::Q8_0;
  else if (type == "q4_0")
    t = GgmlType::Q4_0;
  else if (type == "f16")
    t = GgmlType::F16;
  else if (type == "f32")
    t = GgmlType::F32;
  else
    throw LlmError("quantize: unknown type \"" + type + "\" (q8_0, q4_0, f16 or f32)");
  check_writable(out);  // before the work, so a mistyped path costs nothing
  GgufReader r = GgufReader::open(in);
  quantize_model(r, t).write(out);
  auto m = Model::load(out);  // check that the result loads
  fmt::print("wrote {}: {}\n", out, m->describe());
  return 0;
}

int cmd_serve(const Common& c, const std::string& host, unsigned port, const std::string& name, bool quiet) {
  auto m = Model::load(c.model);
  http::ServerOptions opt;
  opt.host = host;
  opt.port = uint16_t(port);
  opt.threads = c.threads;
  opt.model_name = name.empty() ? std::filesystem::path(c.model).stem().string() : name;
  if (!quiet) opt.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  // SIGINT/SIGTERM are taken by sigwait below, not by the server's threads,
  // which inherit this mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  http::OpenAiServer server(m, opt);
  if (host != "127.0.0.1" && host != "::1")
    fmt::print(stderr, "warning: listening on {}: anyone who can reach this port can use the model (no authentication)\n", host);
  fmt::print("serving {} as \"{}\" on {} (POST /completions, /chat/completions; GET /models); Ctrl-C stops\n",
             m->describe(), opt.model_name, server.base_url());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  fmt::print(stderr, "stopped ({})\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return 0;
}

}  // namespace

int run_lm_command(int argc, char** argv) {
  CLI::App app{"Run the embedded LLM engine on a GGUF model", "borel lm"};
  app.require_subcommand(1);
  Common c;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--model,-m", c.model, "GGUF model file")->required()->check(CLI::ExistingFile);
    sub->add_option("--threads,-t", c.threads, "Threads (results do not depend on it)")->check(CLI::Range(1u, 256u));
    sub->add_flag("--json", c.json, "Machine-readable output");
  };

  std::string prompt, continuation, out, type = "q8_0";
  size_t max_tokens = 64;
  double temperature = 1.0, top_p = 1.0;
  size_t top_k = 0;
  uint64_t seed = 0;
  bool no_stop = false;

  auto* gen = app.add_subcommand("generate", "Sample a continuation of a prompt");
  add_common(gen);
  gen->add_option("--prompt,-p", prompt, "Prompt text")->required();
  // A count is digits only: CLI11 would read "-1" as 2^64 - 1 (for ever).
  const CLI::Validator count(
      [](std::string& text) {
        bool ok = !text.empty() && text.size() <= 18;
        for (char ch : text) ok = ok && ch >= '0' && ch <= '9';
        return ok ? std::string() : "must be an integer from 0 to 10^18, got " + text;
      },
      "COUNT");
  gen->add_option("--max-tokens,-n", max_tokens, "Tokens to generate")->check(count);
  // (CLI::NonNegativeNumber would print DBL_MAX in full in its message.)
  const CLI::Validator non_negative(
      [](std::string& text) {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        return (end != text.c_str() && *end == '\0' && v >= 0) ? std::string() : "must be a number >= 0, got " + text;
      },
      "NUMBER >= 0");
  gen->add_option("--temperature", temperature, "Softmax temperature (0 = greedy)")->check(non_negative);
  gen->add_option("--top-k", top_k, "Keep the k most probable tokens (0 = all)")->check(count);
  gen->add_option("--top-p", top_p, "Nucleus sampling mass in (0, 1]");
  gen->add_option("--seed,-s", seed, "Random seed")->check(seed_validator());
  gen->add_flag("--no-stop", no_stop, "Do not stop at the end-of-sequence token");

  auto* score = app.add_subcommand("score", "Log-probability of a continuation given a prompt");
  add_common(score);
  score->add_option("--prompt,-p", prompt, "Prompt text")->required();
  score->add_option("--continuation,-c", continuation, "Continuation text")->required();

  auto* info = app.add_subcommand("info", "Describe a model");
  add_common(info);

  auto* quant = app.add_subcommand("quantize", "Write a quantised copy of a model");
  quant->add_option("--model,-m", c.model, "GGUF model file")->required()->check(CLI::ExistingFile);
  quant->add_option("--out,-o", out, "Output GGUF file")->required();
  quant->add_option("--type", type, "q8_0, q4_0, f16 or f32");

  auto* serve = app.add_subcommand("serve", "Serve the model over an OpenAI-compatible HTTP API");
  std::string host = "127.0.0.1", name;
  unsigned port = 8080;
  bool quiet = false;
  serve->add_option("--model,-m", c.model, "GGUF model file")->required()->check(CLI::ExistingFile);
  serve->add_option("--port", port, "TCP port (0 = any free port, printed at start)")->check(CLI::Range(0u, 65535u));
  serve->add_option("--host", host, "Address to listen on (default loopback only; 0.0.0.0 = every interface)");
  serve->add_option("--threads,-t", c.threads, "Requests computed at once")->check(CLI::Range(1u, 256u));
  serve->add_option("--name", name, "Model name the API reports (default: the file name without .gguf)");
  serve->add_flag("--quiet,-q", quiet, "Do not log each request to stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (gen->parsed()) {
      SamplingParams sp;
      sp.temperature = temperature;
      sp.top_k = top_k;
      sp.top_p = top_p;
      return cmd_generate(c, prompt, max_tokens, sp, seed, !no_stop);
    }
    if (score->parsed()) return cmd_score(c, prompt, continuation);
    if (info->parsed()) return cmd_info(c);
    if (quant->parsed()) return cmd_quantize(c.model, out, type);
    if (serve->parsed()) return cmd_serve(c, host, port, name, quiet);
  } catch (const LlmError& e) {
    std::fprintf(stderr, "borel lm: %s\n", e.what());
    return 1;
  }
  return 2;
}

}  // namespace borel::tools
