// MiniJson.h — a small JSON reader for the golden files (tests only).
// Numbers are doubles; strings are UTF-8 with \uXXXX escapes (surrogate pairs
// included) decoded. Throws std::runtime_error on malformed input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace borel::llm::test {

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::map<std::string, Json> obj;

  const Json& operator[](const std::string& k) const {
    auto it = obj.find(k);
    if (it == obj.end()) throw std::runtime_error("json: no key " + k);
    return it->second;
  }
  const Json& operator[](size_t i) const { return arr.at(i); }
  size_t size() const { return kind == Array ? arr.size() : obj.size(); }
  bool has(const std::string& k) const { return obj.count(k) != 0; }
  template <class T>
  std::vector<T> vec() const {
    std::vector<T> v;
    for (const auto& e : arr) v.push_back(static_cast<T>(e.num));
    return v;
  }

  static Json parse(const std::string& text) {
    size_t pos = 0;
    Json j = parse_value(text, pos);
    skip_ws(text, pos);
    if (pos != text.size()) throw std::runtime_error("json: trailing characters");
    return j;
  }

private:
  static void skip_ws(const std::string& s, size_t& p) {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\n' || s[p] == '\t' || s[p] == '\r')) ++p;
  }
  static void expect(const std::string& s, size_t& p, char c) {
    skip_ws(s, p);
    if (p >= s.size() || s[p] != c) throw std::runtime_error(std::string("json: expected ") + c);
    ++p;
  }
  static void put_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  static uint32_t hex4(const std::string& s, size_t& p) {
    if (p + 4 > s.size()) throw std::runtime_error("json: bad \\u escape");
    uint32_t v = std::stoul(s.substr(p, 4), nullptr, 16);
    p += 4;
    return v;
  }
  static std::string parse_string(const std::string& s, size_t& p) {
    expect(s, p, '"');
    std::string out;
    while (p < s.size() && s[p] != '"') {
      char c = s[p++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p >= s.size()) break;
      char e = s[p++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          uint32_t cp = hex4(s, p);
          if (cp >= 0xD800 && cp < 0xDC00 && p + 1 < s.size() && s[p] == '\\' && s[p + 1] == 'u') {
            p += 2;
            uint32_t lo = hex4(s, p);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default: out += e;
      }
    }
    if (p >= s.size()) throw std::runtime_error("json: unterminated string");
    ++p;
    return out;
  }
  static Json parse_value(const std::string& s, size_t& p) {
    skip_ws(s, p);
    if (p >= s.size()) throw std::runtime_error("json: unexpected end");
    Json j;
    char c = s[p];
    if (c == '{') {
      j.kind = Object;
      ++p;
      skip_ws(s, p);
      if (s[p] == '}') {
        ++p;
        return j;
      }
      for (;;) {
        std::string k = parse_string(s, p);
        expect(s, p, ':');
        j.obj[k] = parse_value(s, p);
        skip_ws(s, p);
        if (s[p] == ',') {
          ++p;
          continue;
        }
        expect(s, p, '}');
        return j;
      }
    }
    if (c == '[') {
      j.kind = Array;
      ++p;
      skip_ws(s, p);
      if (s[p] == ']') {
        ++p;
        return j;
      }
      for (;;) {
        j.arr.push_back(parse_value(s, p));
        skip_ws(s, p);
        if (s[p] == ',') {
          ++p;
          continue;
        }
        expect(s, p, ']');
        return j;
      }
    }
    if (c == '"') {
      j.kind = String;
      j.str = parse_string(s, p);
      return j;
    }
    if (s.compare(p, 4, "true") == 0) {
      j.kind = Bool;
      j.b = true;
      p += 4;
      return j;
    }
    if (s.compare(p, 5, "false") == 0) {
      j.kind = Bool;
      p += 5;
      return j;
    }
    if (s.compare(p, 4, "null") == 0) {
      p += 4;
      return j;
    }
    j.kind = Number;
    size_t used = 0;
    j.num = std::stod(s.substr(p, 64), &used);
    p += used;
    return j;
  }
};

}  // namespace borel::llm::test
