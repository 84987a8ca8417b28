// TypeDesc.cpp — printing types and values.
//
// format_value's choices, fixed here for every printer in Borel (print,
// summaries, the REPL):
//   real    the shortest text that reads back as the same double, in
//           printf's %g style: %.Pg with P the number of significant digits
//           of the shortest round-trip form (std::to_chars), at least 6 —
//           so a value with 6 or fewer digits prints as %g always printed it
//           (0.1, 2.5, 1e+06) and one with more prints all it needs
//           (0.30000000000000004, 3.141592653589793). Always recognisable as
//           a real: ".0" is appended when that gives an integer ("1.0",
//           "-3.0", "100000.0"; "1e+06" keeps its exponent); "inf", "-inf",
//           "nan".
//   int     decimal; bool `true`/`false`; unit `()`.
//   string  raw at the top level (print("hi") shows hi), quoted with escapes
//           (\" \\ \n \t) inside arrays, tuples and records.
//   array   [1, 2, 3]; tuple (1, 2.5); record {mu: 1.5, k: 2} (fields in
//           layout order); function <fn>; distribution name(params), e.g.
//           normal(0.0, 1.0), or <name> when it has array parameters.
#include "runtime/TypeDesc.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "runtime/Dist.h"

namespace borel::rt {

std::string TypeDesc::to_string() const {
  switch (tag) {
    case Tag::Unit: return "()";
    case Tag::Bool: return "bool";
    case Tag::Int: return "int";
    case Tag::Real: return "real";
    case Tag::String: return "string";
    case Tag::Array: {
      std::string s = "[";
      s += elem ? elem->to_string() : "?";
      return s + "]";
    }
    case Tag::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += ", ";
        s += fields[i] ? fields[i]->to_string() : "?";
      }
      return s + ")";
    }
    case Tag::Record: {
      std::string s = "{";
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += ", ";
        s += (i < names.size() ? names[i] : "?") + ": " + (fields[i] ? fields[i]->to_string() : "?");
      }
      return s + "}";
    }
    case Tag::Function: {
      // Parameters in `fields`, result in `elem` when the compiler provides them.
      std::string s = "fn(";
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += ", ";
        s += fields[i] ? fields[i]->to_string() : "?";
      }
      s += ")";
      if (elem) s += " -> " + elem->to_string();
      return s;
    }
    case Tag::Dist: {
      std::string s = "Dist[";
      s += elem ? elem->to_string() : "?";
      return s + "]";
    }
  }
  return "?";
}

namespace {

std::string format_real(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  // The shortest round-trip digits, as d.ddde±x: its significant digits.
  char digits[64];
  auto r = std::to_chars(digits, digits + sizeof digits, x, std::chars_format::scientific);
  int precision = 0;
  for (const char* p = digits; p < r.ptr && *p != 'e'; ++p)
    if (*p >= '0' && *p <= '9') ++precision;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", std::max(precision, 6), x);
  if (!std::strpbrk(buf, ".e")) std::strcat(buf, ".0");
  return buf;
}

std::string quote(std::string_view s) {
  std::string r = "\"";
  for (char c : s) {
    switch (c) {
      case '"': r += "\\\""; break;
      case '\\': r += "\\\\"; break;
      case '\n': r += "\\n"; break;
      case '\t': r += "\\t"; break;
      default: r += c;
    }
  }
  return r + "\"";
}

void format(std::string& out, Word v, const TypeDesc& t, bool top) {
  switch (t.tag) {
    case TypeDesc::Tag::Unit: out += "()"; return;
    case TypeDesc::Tag::Bool: out += v ? "true" : "false"; return;
    case TypeDesc::Tag::Int: out += std::to_string(v); return;
    case TypeDesc::Tag::Real: out += format_real(to_real(v)); return;
    case TypeDesc::Tag::String: {
      const auto* s = to_ptr<const String>(v);
      std::string_view sv = s ? view(s) : std::string_view();
      out += top ? std::string(sv) : quote(sv);
      return;
    }
    case TypeDesc::Tag::Array: {
      const auto* a = to_ptr<const Array>(v);
      out += '[';
      for (int64_t i = 0; a && i < a->len; ++i) {
        if (i) out += ", ";
        if (t.elem) format(out, a->data[i], *t.elem, false);
        else out += std::to_string(a->data[i]);
      }
      out += ']';
      return;
    }
    case TypeDesc::Tag::Tuple:
    case TypeDesc::Tag::Record: {
      const bool rec = t.tag == TypeDesc::Tag::Record;
      const auto* tu = to_ptr<const Tuple>(v);
      out += rec ? '{' : '(';
      for (size_t i = 0; tu && i < t.fields.size(); ++i) {
        if (i) out += ", ";
        if (rec) out += (i < t.names.size() ? t.names[i] : "?") + ": ";
        format(out, tu->fields[i], *t.fields[i], false);
      }
      out += rec ? '}' : ')';
      return;
    }
    case TypeDesc::Tag::Function: out += "<fn>"; return;
    case TypeDesc::Tag::Dist: {
      const auto* d = to_ptr<const Dist>(v);
      if (!d || !d->ops) {
        out += "<dist>";
        return;
      }
      // Scalars, and a distribution parameter (ordered's base) as itself.
      bool scalars = d->ops->nparams > 0;
      for (int i = 0; i < d->ops->nparams && i < 4; ++i) {
        const Kind k = d->ops->param_kinds[i];
        scalars = scalars && (k == Kind::Real || k == Kind::Int || k == Kind::Bool || k == Kind::RealDist);
      }
      if (!scalars) {
        out += std::string("<") + d->ops->name + ">";
        return;
      }
      out += d->ops->name;
      out += '(';
      for (int i = 0, np = 0, na = 0; i < d->ops->nparams; ++i) {
        if (i) out += ", ";
        const Kind k = d->ops->param_kinds[i];
        if (k == Kind::RealDist) {
          format(out, na < 2 ? d->a[na] : 0, t, false);
          ++na;
          continue;
        }
        const double p = d->p[np++];
        if (k == Kind::Real) out += format_real(p);
        else if (k == Kind::Int) out += std::to_string(static_cast<int64_t>(p));
        else out += p != 0 ? "true" : "false";
      }
      out += ')';
      return;
    }
  }
}

}  // namespace

std::string format_value(Word v, const TypeDesc& t) {
  std::string out;
  format(out, v, t, true);
  return out;
}

}  // namespace borel::rt

namespace borel::rt {

// u b i r s f: scalars, string, function; A<t>: array; D<t> or D-: Dist;
// T<n>,<t...>: tuple; R<n>,<len>:<name><t>...: record.
std::string encode_type(const TypeDesc& t) {
  switch (t.tag) {
    case TypeDesc::Tag::Unit: return "u";
    case TypeDesc::Tag::Bool: return "b";
    case TypeDesc::Tag::Int: return "i";
    case TypeDesc::Tag::Real: return "r";
    case TypeDesc::Tag::String: return "s";
    case TypeDesc::Tag::Function: return "f";
    // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive)
    // about `"A" + std::string`.
    case TypeDesc::Tag::Array: {
      std::string s = "A";
      s += t.elem ? encode_type(*t.elem) : std::string("u");
      return s;
    }
    case TypeDesc::Tag::Dist: {
      std::string s = "D";
      s += t.elem ? encode_type(*t.elem) : std::string("-");
      return s;
    }
    case TypeDesc::Tag::Tuple:
    case TypeDesc::Tag::Record: {
      const bool rec = t.tag == TypeDesc::Tag::Record;
      std::string s = rec ? "R" : "T";
      s += std::to_string(t.fields.size());
      s += ',';
      for (size_t k = 0; k < t.fields.size(); ++k) {
        if (rec) {
          s += std::to_string(t.names[k].size());
          s += ':';
          s += t.names[k];
        }
        s += encode_type(*t.fields[k]);
      }
      return s;
    }
  }
  return "u";
}

namespace {
const TypeDesc* decode_at(const std::string& s, size_t& i) {
  auto number = [&] {
    size_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') n = n * 10 + static_cast<size_t>(s[i++] - '0');
    ++i;  // ',' or ':'
    return n;
  };
  auto* t = new TypeDesc{};
  const char c = i < s.size() ? s[i++] : 'u';
  switch (c) {
    case 'b': t->tag = TypeDesc::Tag::Bool; break;
    case 'i': t->tag = TypeDesc::Tag::Int; break;
    case 'r': t->tag = TypeDesc::Tag::Real; break;
    case 's': t->tag = TypeDesc::Tag::String; break;
    case 'f': t->tag = TypeDesc::Tag::Function; break;
    case 'A':
      t->tag = TypeDesc::Tag::Array;
      t->elem = decode_at(s, i);
      break;
    case 'D':
      t->tag = TypeDesc::Tag::Dist;
      if (i < s.size() && s[i] == '-') ++i;
      else t->elem = decode_at(s, i);
      break;
    case 'T':
    case 'R': {
      t->tag = c == 'R' ? TypeDesc::Tag::Record : TypeDesc::Tag::Tuple;
      const size_t n = number();
      for (size_t k = 0; k < n; ++k) {
        if (c == 'R') {
          const size_t len = number();
          t->names.push_back(s.substr(i, len));
          i += len;
        }
        t->fields.push_back(decode_at(s, i));
      }
      break;
    }
    default: t->tag = TypeDesc::Tag::Unit;
  }
  return t;
}
}  // namespace

const TypeDesc* decode_type(const std::string& text) {
  size_t i = 0;
  return decode_at(text, i);
}

}  // namespace borel::rt
