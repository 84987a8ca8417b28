// HttpError.h — the one exception the OpenAI-compatible client throws.
//
// It says what failed (kind), where (the URL), what the server said (HTTP
// status and the message from its error body, when there was a response) and
// how many attempts were made, all in what() and as fields, so a caller can
// both print it and decide on it.
#pragma once

#include "Error.h"

#include <string>

namespace borel::llm::http {

class HttpError : public LlmError {
public:
  enum class Kind {
    Connect,   // could not connect (refused, unreachable, name not resolved)
    Timeout,   // connect, send or receive did not finish in time
    Protocol,  // the connection broke or the HTTP message was malformed or cut short
    Status,    // the server answered with a non-2xx status
    Json,      // a 2xx body that is not valid JSON
    Response,  // valid JSON, but not the shape the endpoint promises
    Usage,     // a bad request or option, found before anything was sent
  };

  HttpError(Kind kind, std::string url, std::string detail, int status = 0, std::string server_message = {},
            int attempts = 1)
      : LlmError(format(kind, url, detail, status, server_message, attempts)),
        kind_(kind),
        url_(std::move(url)),
        detail_(std::move(detail)),
        status_(status),
        server_message_(std::move(server_message)),
        attempts_(attempts) {}

  Kind kind() const { return kind_; }
  const std::string& url() const { return url_; }
  const std::string& detail() const { return detail_; }
  int status() const { return status_; }  // 0 when no response was received
  const std::string& server_message() const { return server_message_; }
  int attempts() const { return attempts_; }

  // Whether a new attempt may succeed: connection trouble, timeouts, 5xx and
  // 429 (rate limited). Other 4xx answers and malformed 2xx bodies would
  // fail the same way again.
  bool retryable() const {
    return kind_ == Kind::Connect || kind_ == Kind::Timeout || kind_ == Kind::Protocol ||
           (kind_ == Kind::Status && (status_ >= 500 || status_ == 429));
  }

  HttpError with_attempts(int n) const {
    return HttpError(kind_, url_, detail_, status_, server_message_, n);
  }

  static const char* kind_name(Kind k) {
    switch (k) {
      case Kind::Connect: return "connection failed";
      case Kind::Timeout: return "timed out";
      case Kind::Protocol: return "bad HTTP response";
      case Kind::Status: return "HTTP error";
      case Kind::Json: return "malformed JSON response";
      case Kind::Response: return "unexpected response";
      case Kind::Usage: return "invalid request";
    }
    return "error";
  }

private:
  static std::string format(Kind kind, const std::string& url, const std::string& detail, int status,
                            const std::string& server_message, int attempts) {
    std::string s = "http: " + url + ": " + kind_name(kind);
    if (status) s += kind == Kind::Status ? " " + std::to_string(status) : " (HTTP " + std::to_string(status) + ")";
    if (!detail.empty()) s += ": " + detail;
    if (!server_message.empty()) s += ": server says: " + server_message;
    if (attempts > 1) s += " (after " + std::to_string(attempts) + " attempts)";
    return s;
  }

  Kind kind_;
  std::string url_, detail_;
  int status_;
  std::string server_message_;
  int attempts_;
};

}  // namespace borel::llm::http
