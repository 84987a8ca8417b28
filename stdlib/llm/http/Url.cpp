#include "Url.h"

#include "HttpError.h"

#include <charconv>

namespace borel::llm::http {

Url Url::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return HttpError(HttpError::Kind::Usage, std::string(text), "bad base URL: " + why);
  };
  std::string_view rest = text;
  if (rest.starts_with("https://")) throw bad("https is not supported (plain http only; see Url.h)");
  if (!rest.starts_with("http://")) throw bad("expected http://HOST[:PORT][/PATH]");
  rest.remove_prefix(7);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (path.find_first_of("?# \r\n") != std::string_view::npos) throw bad("the path may not hold a query, fragment or space");
  Url u;
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unclosed '[' in the host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw bad("expected ':' after the IPv6 host");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw bad("no host");
  if (u.host.find_first_of("@ \r\n/") != std::string::npos) throw bad("invalid character in the host");
  if (!port.empty() || authority.ends_with(":")) {
    unsigned v = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535)
      throw bad("the port must be a number from 1 to 65535");
    u.port = static_cast<uint16_t>(v);
  }
  while (path.ends_with("/")) path.remove_suffix(1);
  u.path = std::string(path);
  return u;
}

std::string Url::host_header() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string Url::str(std::string_view endpoint) const { return "http://" + host_header() + path + std::string(endpoint); }

}  // namespace borel::llm::http
