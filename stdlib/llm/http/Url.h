// Url.h — the base URL of an OpenAI-compatible server.
//
// "http://HOST[:PORT][/PATH]", e.g. "http://127.0.0.1:8000/v1" (the
// convention of OpenAI clients: endpoint paths such as "/completions" are
// appended to PATH). IPv6 hosts go in brackets: "http://[::1]:8080/v1".
// Only plain http: https would need TLS (not built in; put a TLS-terminating
// proxy in front, or add Beast's ssl_stream here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace borel::llm::http {

struct Url {
  std::string host;  // without brackets
  uint16_t port = 80;
  std::string path;  // no trailing '/', may be empty

  // Throws HttpError (Kind::Usage) on anything else.
  static Url parse(std::string_view text);

  // "host:port" as the Host header wants it (brackets for IPv6).
  std::string host_header() const;
  // "http://host:port" + path + endpoint.
  std::string str(std::string_view endpoint = {}) const;
};

}  // namespace borel::llm::http
