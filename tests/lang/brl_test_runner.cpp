// brl_test_runner.cpp — runs one .brl test program and checks its expectations.
//
// Expectations are comments in the program (after Wren's test suite):
//   print(x)          // expect: 3
//   let y = 1 + true; // expect error: operator + needs numbers
//   xs[10]            // expect runtime error: index 10 is out of range
//   print(summary(d)) // expect glob: mh: 4 chains x 200 draws, * s
// `expect:` lines must match the program's standard output, line by line, in
// order; an `expect glob:` line is one whose text is a shell pattern (`*`
// matches any text, `?` one character: fnmatch(3)), for lines with a
// varying part such as a time. `expect error:` requires a compile error on that line (the message
// must contain the text and be reported as FILE:LINE:COL). `expect runtime
// error:` requires exit code 1 and the text in standard error, with the line.
// A first-line comment `// args: --seed 7` passes options to `borel run`.
// A first-line comment `// skip-unless-shared` skips (exit 77) when the
// shared benchmark data is absent and CI is not set; otherwise the program
// gets the shared folder as its first argument (args()[0]).
#include <fnmatch.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Expect {
  enum class Kind { Output, CompileError, RuntimeError } kind;
  int line;
  std::string text;
  bool glob = false;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

int run(const std::string& cmd, std::string& out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: brl_test_runner BOREL FILE.brl\n";
    return 2;
  }
  std::string borel = argv[1], file = argv[2];
  std::ifstream in(file);
  if (!in) {
    std::cerr << "cannot read " << file << "\n";
    return 2;
  }
  std::vector<Expect> expects;
  std::string line, args = "--seed 1";
  int no = 0;
  bool needs_shared = false;
  while (std::getline(in, line)) {
    ++no;
    auto take = [&](const std::string& marker, Expect::Kind kind) {
      size_t at = line.find(marker);
      if (at == std::string::npos) return false;
      expects.push_back({kind, no, trim(line.substr(at + marker.size()))});
      return true;
    };
    if (take("// expect runtime error:", Expect::Kind::RuntimeError)) continue;
    if (take("// expect error:", Expect::Kind::CompileError)) continue;
    if (take("// expect:", Expect::Kind::Output)) continue;
    if (take("// expect glob:", Expect::Kind::Output)) {
      expects.back().glob = true;
      continue;
    }
    if (no == 1 && line.rfind("// args:", 0) == 0) args = trim(line.substr(8));
    if (line.find("// skip-unless-shared") != std::string::npos) needs_shared = true;
  }
  if (needs_shared) {
    const char* dir = std::getenv("BOREL_SHARED_DIR");
    std::ifstream probe(std::string(dir ? dir : "") + "/bench/README.md");
    if (!probe) {
      const char* ci = std::getenv("CI");
      if (ci && std::string(ci) == "true") {
        std::cerr << "FAIL: shared data (BOREL_SHARED_DIR) is absent under CI\n";
        return 1;
      }
      std::cout << "SKIP: shared data (../shared) is absent\n";
      return 77;
    }
    args += " -- " + quote(dir);  // the program finds the data at args()[0]
  }
  std::string out, err;
  char errname[] = "/tmp/brl_test_XXXXXX";
  int fd = mkstemp(errname);
  if (fd < 0) {
    std::cerr << "cannot make a temporary file\n";
    return 2;
  }
  close(fd);
  std::string errfile = errname;
  int code = run(quote(borel) + " run " + quote(file) + " " + args + " 2>" + quote(errfile), out);
  {
    std::ifstream e(errfile);
    std::stringstream ss;
    ss << e.rdbuf();
    err = ss.str();
    std::remove(errfile.c_str());
  }
  int failures = 0;
  auto fail = [&](const std::string& why) {
    ++failures;
    std::cerr << file << ": " << why << "\n";
  };
  bool want_compile_error = false, want_runtime_error = false;
  std::vector<std::string> want_out;
  std::vector<bool> want_glob;
  for (auto& e : expects) {
    if (e.kind == Expect::Kind::Output) {
      want_out.push_back(e.text);
      want_glob.push_back(e.glob);
    }
    if (e.kind == Expect::Kind::CompileError) want_compile_error = true;
    if (e.kind == Expect::Kind::RuntimeError) want_runtime_error = true;
  }
  if (code >= 128) fail("borel crashed (signal " + std::to_string(code - 128) + ")");
  if (code == 70) fail("internal error");
  if (want_compile_error || want_runtime_error) {
    if (code != 1) fail("expected exit code 1, got " + std::to_string(code));
  } else if (code != 0) {
    fail("expected exit code 0, got " + std::to_string(code));
  }
  for (auto& e : expects) {
    if (e.kind == Expect::Kind::Output) continue;
    std::string at = ":" + std::to_string(e.line) + ":";
    bool found = false;
    std::istringstream es(err);
    std::string l;
    while (std::getline(es, l))
      if (l.find(at) != std::string::npos && l.find(e.text) != std::string::npos) found = true;
    if (!found) fail("line " + std::to_string(e.line) + ": expected an error containing \"" + e.text + "\"");
  }
  std::istringstream os(out);
  std::vector<std::string> got;
  while (std::getline(os, line)) got.push_back(trim(line));
  if (!want_out.empty() || !(want_compile_error || want_runtime_error)) {
    size_t n = std::max(got.size(), want_out.size());
    for (size_t i = 0; i < n; ++i) {
      std::string g = i < got.size() ? got[i] : "<missing>";
      std::string w = i < want_out.size() ? want_out[i] : "<nothing more>";
      const bool glob = i < want_glob.size() && want_glob[i];
      if (glob ? fnmatch(w.c_str(), g.c_str(), 0) != 0 : g != w) {
        fail("output line " + std::to_string(i + 1) + ": expected \"" + w + "\", got \"" + g + "\"");
        break;
      }
    }
  }
  if (failures) {
    std::cerr << "--- stdout\n" << out << "--- stderr\n" << err;
    return 1;
  }
  return 0;
}
