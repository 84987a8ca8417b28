// SbcMain.cpp — `borel_sbc`: runs the simulation-based calibration models
// (tests/sbc/models/*.brl) with `borel run`, collects their ranks and
// evidence ratios, and applies the acceptance rule of SbcStats.h with a
// Bonferroni correction over every test of the invocation.
//
//   borel_sbc --borel PATH [--reps R] [--draws L] [--bins B] [--alpha A]
//             [--jobs J] [--seed S] [--timeout SEC] [--table FILE]
//             [--cells CELL,...] MODEL.brl...
//
// Each model is compiled once per process: one `borel run` runs all of its
// cells (or those named by --cells, each matched as `model/cell` or `cell`),
// R replications each. A process that fails (a runtime error, a crash, a
// timeout) fails the cell it was in, and the program is started again with
// every cell but those it has started (`except ...`). Models run in `jobs`
// processes at once.
//
// Acceptance: there are K tests in all (one per cell and test quantity, one
// per cell with known evidence); each is run at level alpha / K, so the
// whole run has a false-alarm rate of at most alpha (Bonferroni). Exit
// status 0 when every cell passes, 1 otherwise, 2 on bad arguments.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include "SbcStats.h"

namespace {

using borel::sbc::check_design;

struct Options {
  std::string borel;
  int reps = 100;
  int draws = 99;
  int bins = 10;
  double alpha = 1e-3;
  int jobs = 2;
  uint64_t seed = 1;
  int timeout = 900;
  std::string table;
  std::set<std::string> cells;  // empty: all
  std::vector<std::string> models;
};

// What one cell of one model produced.
struct Cell {
  std::string model, name;
  std::vector<std::string> quantities;
  std::vector<std::vector<int>> ranks;  // per replication
  std::vector<double> ratios;           // Ẑ/Z per replication (NaN: unknown)
  std::string error;                    // why the process stopped in it
  double seconds = 0;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

// "[3, 17]" -> {3, 17}; "[a, b]" -> {"a", "b"} (quoted strings unquoted).
std::vector<std::string> parse_list(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '[' || c == ']' || c == '"' || c == ' '; }),
          s.end());
  return split(s, ',');
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs one model to the end, restarting after a failed cell. Appends its
// cells to `out`.
void run_model(const Options& o, const std::string& path, std::vector<Cell>& out, std::mutex& log_mutex) {
  const std::string model = std::filesystem::path(path).stem().string();
  std::vector<std::string> done;       // cells started, in order
  std::vector<std::string> todo;       // named cells to run (--cells)
  for (const std::string& c : o.cells) {
    const size_t slash = c.find('/');
    if (slash == std::string::npos) todo.push_back(c);
    else if (c.substr(0, slash) == model) todo.push_back(c.substr(slash + 1));
  }
  if (!o.cells.empty() && todo.empty()) return;
  uint64_t seed = o.seed;
  for (;;) {
    // stdbuf -oL: the program's stdout is a pipe, fully buffered by default;
    // line buffering makes each line arrive when printed, so the cell a crash
    // happens in is the last one announced and its time is measured.
    std::string cmd = "timeout " + std::to_string(o.timeout) + " stdbuf -oL " + shell_quote(o.borel) + " run " +
                      shell_quote(path) + " --seed " + std::to_string(seed) + " -- " + std::to_string(o.reps) +
                      " " + std::to_string(o.draws);
    // The cells to run: those named (less those done), or, after a failure,
    // every cell except those done (`except`: sbc.brl's sbc_selected).
    if (!todo.empty()) {
      for (const std::string& c : todo)
        if (std::find(done.begin(), done.end(), c) == done.end()) cmd += " " + shell_quote(c);
    } else if (!done.empty()) {
      cmd += " except";
      for (const std::string& c : done) cmd += " " + shell_quote(c);
    }
    cmd += " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) {
      std::lock_guard<std::mutex> lock(log_mutex);
      std::cerr << "borel_sbc: cannot start " << cmd << "\n";
      return;
    }
    Cell* current = nullptr;
    std::vector<std::string> qnames;
    std::string last_other;
    double started = now_seconds();
    char buf[65536];
    std::string line;
    while (fgets(buf, sizeof buf, pipe)) {
      line = buf;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      std::istringstream in(line);
      std::string tag;
      in >> tag;
      if (tag == "SBCQ") {
        std::string rest;
        std::getline(in, rest);
        qnames = split(rest, ' ');
      } else if (tag == "SBCCELL") {
        if (current) current->seconds = now_seconds() - started;
        started = now_seconds();
        Cell c;
        c.model = model;
        in >> c.name;
        c.quantities = qnames;
        {
          std::lock_guard<std::mutex> lock(log_mutex);
          out.push_back(std::move(c));
          current = &out.back();  // out is reserved up front: no reallocation
        }
        done.push_back(current->name);
      } else if (tag == "SBC" && current) {
        std::string name, rep, ranks, ratio;
        in >> name >> rep;
        std::string rest;
        std::getline(in, rest);
        const size_t close = rest.find(']');
        ranks = rest.substr(0, close + 1);
        std::istringstream(rest.substr(close + 1)) >> ratio;
        try {
          std::vector<int> rs;
          for (const std::string& r : parse_list(ranks)) rs.push_back(std::stoi(r));
          const double z = ratio == "nan" || ratio == "-nan" ? NAN : ratio == "inf" ? INFINITY : std::stod(ratio);
          current->ranks.push_back(rs);
          current->ratios.push_back(z);
        } catch (const std::exception&) {
          if (current->error.empty()) current->error = "unreadable line: " + line;
        }
      } else if (!line.empty()) {
        last_other = line;
      }
    }
    const int status = pclose(pipe);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (current) current->seconds = now_seconds() - started;
    if (code == 0) break;
    const std::string why = code == 124 ? "timeout after " + std::to_string(o.timeout) + " s"
                                        : "exit " + std::to_string(code) + ": " + last_other;
    if (!current) {
      Cell c;
      c.model = model;
      c.name = "(program)";
      c.error = why;
      std::lock_guard<std::mutex> lock(log_mutex);
      out.push_back(std::move(c));
      break;
    }
    current->error = why;
    if (!todo.empty() && std::all_of(todo.begin(), todo.end(), [&](const std::string& c) {
          return std::find(done.begin(), done.end(), c) != done.end();
        }))
      break;
    ++seed;
  }
}

std::string quantity_name(const Cell& c, size_t j) {
  if (j < c.quantities.size()) return c.quantities[j];
  std::string name = "q";
  name += std::to_string(j);
  return name;
}

int usage(const std::string& why) {
  std::cerr << "borel_sbc: " << why
            << "\nusage: borel_sbc --borel PATH [--reps R] [--draws L] [--bins B] [--alpha A] [--jobs J] [--seed S] "
               "[--timeout SEC] [--table FILE] [--cells CELL,...] MODEL.brl...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--borel") o.borel = value();
      else if (a == "--reps") o.reps = std::stoi(value());
      else if (a == "--draws") o.draws = std::stoi(value());
      else if (a == "--bins") o.bins = std::stoi(value());
      else if (a == "--alpha") o.alpha = std::stod(value());
      else if (a == "--jobs") o.jobs = std::stoi(value());
      else if (a == "--seed") o.seed = std::stoull(value());
      else if (a == "--timeout") o.timeout = std::stoi(value());
      else if (a == "--table") o.table = value();
      else if (a == "--cells") for (const std::string& c : split(value(), ',')) o.cells.insert(c);
      else if (!a.empty() && a[0] == '-') throw std::runtime_error("unknown option " + a);
      else o.models.push_back(a);
    }
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  if (o.borel.empty() || o.models.empty()) return usage("--borel and at least one model are required");
  if (const std::string bad = check_design(o.reps, o.draws, o.bins); !bad.empty()) return usage(bad);
  if (o.jobs < 1) o.jobs = 1;

  // Cells named by --cells: only the models that have one run, and only
  // those cells (the program is told their names).
  std::vector<Cell> cells;
  cells.reserve(10000);
  std::mutex mutex;
  std::atomic<size_t> next{0};
  const double t0 = now_seconds();
  std::vector<std::thread> workers;
  for (int j = 0; j < o.jobs; ++j)
    workers.emplace_back([&] {
      for (size_t m; (m = next++) < o.models.size();) {
        run_model(o, o.models[m], cells, mutex);
      }
    });
  for (std::thread& t : workers) t.join();

  std::stable_sort(cells.begin(), cells.end(), [](const Cell& a, const Cell& b) { return a.model < b.model; });

  // Count the tests for Bonferroni: one per quantity of each cell, one per
  // cell whose every ratio is known.
  auto has_evidence = [](const Cell& c) {
    return !c.ratios.empty() && std::none_of(c.ratios.begin(), c.ratios.end(), [](double r) { return std::isnan(r); });
  };
  size_t tests = 0;
  for (const Cell& c : cells) {
    const size_t q = c.ranks.empty() ? std::max<size_t>(1, c.quantities.size()) : c.ranks[0].size();
    tests += q + (has_evidence(c) ? 1 : 0);
  }
  tests = std::max<size_t>(tests, 1);
  const double level = o.alpha / static_cast<double>(tests);
  const double chi_threshold = borel::sbc::chi_square_threshold(o.bins - 1, level);
  const double z_threshold = borel::sbc::two_sided_normal_threshold(level);

  std::ostringstream table;
  table << std::fixed;
  table << "| model | cell | quantity | R | statistic | threshold | result | s |\n";
  table << "|---|---|---|---:|---:|---:|---|---:|\n";
  int failures = 0;
  for (const Cell& c : cells) {
    const bool complete = static_cast<int>(c.ranks.size()) == o.reps && c.error.empty();
    if (!complete) {
      ++failures;
      table << "| " << c.model << " | " << c.name << " | all | " << c.ranks.size() << " | | | **FAIL** ("
            << (c.error.empty() ? "incomplete" : c.error) << ") | " << std::setprecision(1) << c.seconds << " |\n";
      continue;
    }
    const size_t nq = c.ranks[0].size();
    for (size_t j = 0; j < nq; ++j) {
      std::vector<int> rs;
      for (const auto& r : c.ranks) rs.push_back(r.at(j));
      const auto h = borel::sbc::rank_histogram(rs, o.draws, o.bins);
      const bool pass = h.chi_square <= chi_threshold;
      failures += !pass;
      table << "| " << c.model << " | " << c.name << " | " << quantity_name(c, j) << " | " << c.ranks.size() << " | χ² = " << std::setprecision(1) << h.chi_square << " | "
            << chi_threshold << " | " << (pass ? "pass" : "**FAIL**");
      if (!pass) {
        table << " (bins";
        for (int k : h.counts) table << " " << k;
        table << ")";
      }
      table << " | " << std::setprecision(1) << c.seconds << " |\n";
    }
    if (has_evidence(c)) {
      const auto e = borel::sbc::evidence_ratio(c.ratios);
      const bool pass = e.z <= z_threshold;
      failures += !pass;
      table << "| " << c.model << " | " << c.name << " | Ẑ/Z = " << std::setprecision(4) << e.mean << " ± " << e.se
            << " | " << c.ratios.size() << " | z = " << std::setprecision(2) << e.z << " | " << z_threshold << " | "
            << (pass ? "pass" : "**FAIL**") << " | |\n";
    }
  }
  std::ostringstream head;
  head << std::setprecision(3) << "SBC: " << cells.size() << " cells, " << tests << " tests, R = " << o.reps
       << ", L = " << o.draws << ", B = " << o.bins << " bins, family-wise alpha = " << o.alpha
       << " (each test at " << level << "): chi-square threshold " << chi_threshold << " (df " << o.bins - 1
       << "), |z| threshold " << z_threshold << "; " << failures << " failed; " << std::fixed
       << std::setprecision(0) << now_seconds() - t0 << " s\n";
  std::cout << head.str() << "\n" << table.str();
  if (!o.table.empty()) {
    std::ofstream f(o.table);
    f << head.str() << "\n" << table.str();
  }
  return failures == 0 ? 0 : 1;
}
