// Output.cpp — CSV and JSON writers (see Output.h).
#include <algorithm>
#include "inference/Output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "inference/Components.h"
#include "inference/Empirical.h"
#include "inference/Errors.h"

namespace borel::inference {

namespace {

const EmpiricalData& need(const rt::Dist& d, const char* what) {
  const EmpiricalData* e = empirical_data(d);
  if (!e) throw method_error(what, std::string("the distribution is ") + d.ops->name + ", not the result of infer");
  return *e;
}

std::string num(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string json_real(double x) { return std::isfinite(x) ? num(x) : "null"; }

std::string json_string(std::string_view s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"') r += "\\\"";
    else if (c == '\\') r += "\\\\";
    else if (c == '\n') r += "\\n";
    else if (c == '\t') r += "\\t";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      r += buf;
    } else r += static_cast<char>(c);
  }
  return r + "\"";
}

void json_value(std::string& out, rt::Word v, const rt::TypeDesc& t) {
  using Tag = rt::TypeDesc::Tag;
  switch (t.tag) {
    case Tag::Unit: out += "null"; return;
    case Tag::Bool: out += v ? "true" : "false"; return;
    case Tag::Int: out += std::to_string(v); return;
    case Tag::Real: out += json_real(rt::to_real(v)); return;
    case Tag::String: {
      const auto* s = rt::to_ptr<const rt::String>(v);
      out += json_string(s ? rt::view(s) : std::string_view());
      return;
    }
    case Tag::Array: {
      const auto* a = rt::to_ptr<const rt::Array>(v);
      out += '[';
      for (int64_t i = 0; a && i < a->len; ++i) {
        if (i) out += ',';
        json_value(out, a->data[i], *t.elem);
      }
      out += ']';
      return;
    }
    case Tag::Tuple:
    case Tag::Record: {
      const bool rec = t.tag == Tag::Record;
      const auto* tu = rt::to_ptr<const rt::Tuple>(v);
      out += rec ? '{' : '[';
      for (size_t i = 0; tu && i < t.fields.size(); ++i) {
        if (i) out += ',';
        if (rec) out += json_string(i < t.names.size() ? t.names[i] : "?") + ":";
        json_value(out, tu->fields[i], *t.fields[i]);
      }
      out += rec ? '}' : ']';
      return;
    }
    case Tag::Function:
    case Tag::Dist: out += json_string(rt::format_value(v, t)); return;
  }
}

}  // namespace

std::string to_csv(const rt::Dist& d, const rt::TypeDesc& t, const std::string& root) {
  const EmpiricalData& e = need(d, "csv");
  const auto comps = components(t, e.values->data, e.particles, root, INT64_MAX);
  std::string out;
  const bool chains = e.chains > 0;
  const int64_t per_chain = chains ? std::max<int64_t>(1, e.particles / e.chains) : 0;
  if (chains) out += "chain__,draw__,";
  int64_t nstats = 0;
  if (e.draw_stat_names) {
    out += std::string(rt::view(e.draw_stat_names)) + ",";
    nstats = e.draw_stats->len / std::max<int64_t>(1, e.particles);
  }
  for (const auto& c : comps) out += c.name + ",";
  out += "weight\n";
  for (int64_t i = 0; i < e.particles; ++i) {
    if (chains) out += std::to_string(1 + i / per_chain) + "," + std::to_string(1 + i % per_chain) + ",";
    for (int64_t k = 0; k < nstats; ++k) out += num(rt::array_real(e.draw_stats, i * nstats + k)) + ",";
    for (const auto& c : comps) {
      if (const auto v = c.get(e.values->data[i], t)) {
        if (c.type->tag == rt::TypeDesc::Tag::Real) out += num(rt::to_real(*v));
        else out += std::to_string(*v);
      }
      out += ',';
    }
    out += num(rt::array_real(e.weights, i)) + "\n";
  }
  return out;
}

std::string to_json(const rt::Dist& d, const rt::TypeDesc& t) {
  const EmpiricalData& e = need(d, "json");
  std::string out = "{\"method\":" + json_string(rt::view(e.method)) +
                    ",\"particles\":" + std::to_string(e.particles) + ",\"steps\":" + std::to_string(e.steps) +
                    ",\"resamplings\":" + std::to_string(e.resamplings) +
                    ",\"log_evidence\":" + json_real(e.log_evidence) + ",\"ess\":[";
  for (int64_t i = 0; e.ess && i < e.ess->len; ++i) {
    if (i) out += ',';
    out += json_real(rt::array_real(e.ess, i));
  }
  out += "],\"type\":" + json_string(t.to_string()) + ",\"values\":[";
  for (int64_t i = 0; i < e.particles; ++i) {
    if (i) out += ',';
    json_value(out, e.values->data[i], t);
  }
  out += "],\"weights\":[";
  for (int64_t i = 0; i < e.particles; ++i) {
    if (i) out += ',';
    out += num(rt::array_real(e.weights, i));
  }
  return out + "]}\n";
}

namespace {

bool ends_with(const std::string& path, const std::string& ext) {
  return path.size() >= ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

void check_extension(const std::string& path) {
  if (!ends_with(path, ".csv") && !ends_with(path, ".json"))
    throw method_error("output", "cannot write '" + path + "': the file name must end in .csv or .json");
}

}  // namespace

void check_output_path(const std::string& path) {
  check_extension(path);
  // Opened for appending, so an existing file is left as it is; one this
  // creates is removed again (the run may still fail and write nothing).
  struct stat before {};
  const bool existed = ::stat(path.c_str(), &before) == 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw method_error("output", "cannot write '" + path + "': " + std::strerror(errno));
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
}

void write_samples(const rt::Dist& d, const rt::TypeDesc& t, const std::string& path) {
  check_extension(path);
  const std::string text = ends_with(path, ".csv") ? to_csv(d, t) : to_json(d, t);
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) throw method_error("output", "cannot write '" + path + "'");
}

}  // namespace borel::inference
