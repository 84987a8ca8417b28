// HttpConnection.h — one kept-alive HTTP/1.1 client connection, driven from
// an Asio coroutine: the transport under OpenAiClient.
//
// post() connects when there is no open connection, sends one request and
// reads one whole response, within a deadline. When a reused connection turns
// out to have been closed by the server while idle (the write fails, or the
// read ends before any byte of a response), it reconnects and sends again
// once: that request never reached the server's application.
//
// Guarantee: post() returns a complete response (any status) or throws
// HttpError of kind Connect, Timeout or Protocol; after an error the
// connection is closed, and the next post() starts a new one.
#pragma once

#include "HttpError.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace borel::llm::http {

struct HttpResponse {
  unsigned status = 0;
  std::string reason;
  std::string body;
  // Seconds from a Retry-After header, when the server sent one.
  std::optional<double> retry_after;
};

struct HttpRequestSpec {
  std::string url;     // for error messages
  std::string host;    // Host header
  std::string target;  // path
  std::string body;    // JSON
  std::string authorization;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{60000};
  size_t max_body = size_t(64) << 20;
};

class HttpConnection {
public:
  explicit HttpConnection(boost::asio::any_io_executor ex);

  boost::asio::awaitable<HttpResponse> post(const boost::asio::ip::tcp::resolver::results_type& endpoints,
                                            const HttpRequestSpec& spec);

  bool is_open() const { return open_; }
  void close();

private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool open_ = false;
  size_t served_ = 0;  // responses read on the current TCP connection
};

}  // namespace borel::llm::http
