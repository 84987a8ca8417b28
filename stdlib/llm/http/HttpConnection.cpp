#include "HttpConnection.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <charconv>

namespace borel::llm::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using Kind = HttpError::Kind;

namespace {

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// The server dropped a kept-alive connection before this request reached it.
bool stale(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

HttpError receive_error(const error_code& ec, const HttpRequestSpec& s, bool got_some) {
  if (ec == beast::error::timeout)
    return HttpError(Kind::Timeout, s.url, "no complete response within " + ms(s.request_timeout));
  if (ec == bhttp::error::body_limit)
    return HttpError(Kind::Protocol, s.url, "the response body is larger than " + std::to_string(s.max_body) + " bytes");
  if (ec == bhttp::error::partial_message || (got_some && stale(ec)))
    return HttpError(Kind::Protocol, s.url, "the connection closed in the middle of the response (" + ec.message() + ")");
  if (stale(ec)) return HttpError(Kind::Protocol, s.url, "the server closed the connection without responding");
  if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category())
    return HttpError(Kind::Protocol, s.url, "malformed HTTP response: " + ec.message());
  return HttpError(Kind::Protocol, s.url, "receiving the response: " + ec.message());
}

std::optional<double> parse_retry_after(beast::string_view v) {
  unsigned secs = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;  // an HTTP date: ignored
  return double(secs);
}

}  // namespace

HttpConnection::HttpConnection(asio::any_io_executor ex) : stream_(std::move(ex)) {}

void HttpConnection::close() {
  error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  open_ = false;
  served_ = 0;
}

asio::awaitable<HttpResponse> HttpConnection::post(const asio::ip::tcp::resolver::results_type& endpoints,
                                                   const HttpRequestSpec& s) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, s.target, 11};
  req.set(bhttp::field::host, s.host);
  req.set(bhttp::field::user_agent, "borel-llm");
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept, "application/json");
  if (!s.authorization.empty()) req.set(bhttp::field::authorization, s.authorization);
  req.keep_alive(true);
  req.body() = s.body;
  req.prepare_payload();

  const auto deadline = std::chrono::steady_clock::now() + s.request_timeout;
  for (bool resent = false;; resent = true) {
    error_code ec;
    if (!open_) {
      stream_.expires_at(std::min(deadline, std::chrono::steady_clock::now() + s.connect_timeout));
      co_await stream_.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        close();
        if (ec == beast::error::timeout)
          throw HttpError(Kind::Timeout, s.url, "could not connect within " + ms(s.connect_timeout));
        throw HttpError(Kind::Connect, s.url, ec.message());
      }
      error_code ignored;
      stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);  // small requests: no Nagle delay
      open_ = true;
    }
    const bool reused = served_ > 0;
    stream_.expires_at(deadline);
    co_await bhttp::async_write(stream_, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      close();
      if (reused && !resent && stale(ec)) continue;
      if (ec == beast::error::timeout)
        throw HttpError(Kind::Timeout, s.url, "could not send the request within " + ms(s.request_timeout));
      throw HttpError(Kind::Protocol, s.url, "sending the request: " + ec.message());
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(s.max_body);
    co_await bhttp::async_read(stream_, buffer_, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      const bool got_some = parser.got_some();
      close();
      if (reused && !resent && !got_some && stale(ec)) continue;
      throw receive_error(ec, s, got_some);
    }
    auto res = parser.release();
    ++served_;
    if (!res.keep_alive()) close();
    HttpResponse out;
    out.status = res.result_int();
    out.reason = std::string(res.reason());
    if (auto it = res.find(bhttp::field::retry_after); it != res.end()) out.retry_after = parse_retry_after(it->value());
    out.body = std::move(res.body());
    co_return out;
  }
}

}  // namespace borel::llm::http
