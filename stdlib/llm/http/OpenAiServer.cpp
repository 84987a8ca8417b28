#include "OpenAiServer.h"

#include "EngineEndpoints.h"
#include "Error.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace borel::llm::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

struct OpenAiServer::Impl {
  ServerOptions opt;
  EngineEndpoints endpoints;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::once_flag stopped;
  uint16_t port = 0;

  Impl(std::shared_ptr<const Model> model, ServerOptions o)
      : opt(std::move(o)), endpoints(std::move(model), opt.model_name), ioc(int(std::max(1u, opt.threads))), acceptor(ioc) {}

  static bhttp::response<bhttp::string_body> reply(unsigned status, std::string body, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> res{bhttp::status(status), version};
    res.set(bhttp::field::server, "borel-lm");
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    error_code ec;
    stream.socket().set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(opt.max_request_bytes);
      stream.expires_after(opt.idle_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        // curl sends large bodies only after this (or after a 1 s pause).
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
        co_await bhttp::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec && !parser.is_done()) {
        stream.expires_after(opt.idle_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof)
        break;  // the client is gone or idle: nothing to answer
      bhttp::response<bhttp::string_body> res;
      const auto t0 = std::chrono::steady_clock::now();
      std::string line;
      if (ec) {
        // A request we cannot read: say why, then close (the stream's framing is lost).
        const unsigned status = ec == bhttp::error::body_limit ? 413 : 400;
        res = reply(status,
                    "{\"error\":{\"message\":\"bad HTTP request: " + ec.message() +
                        "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}",
                    11, false);
        line = "(unreadable request) " + std::to_string(status) + " " + ec.message();
      } else {
        const auto& req = parser.get();
        EndpointReply r = endpoints.handle(std::string_view(req.method_string().data(), req.method_string().size()),
                                           std::string_view(req.target().data(), req.target().size()), req.body());
        res = reply(r.status, std::move(r.body), req.version(), req.keep_alive());
        line = std::string(req.method_string()) + " " + std::string(req.target()) + " " + std::to_string(r.status);
      }
      if (opt.log) {
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        char took[32];
        std::snprintf(took, sizeof took, " %.1f ms", ms);
        opt.log(line + took);
      }
      stream.expires_after(opt.idle_timeout);
      co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !res.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {  // e.g. too many open files: pause, keep serving
        asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto ex = socket.get_executor();
      asio::co_spawn(ex, session(std::move(socket)), asio::detached);
    }
  }
};

OpenAiServer::OpenAiServer(std::shared_ptr<const Model> model, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {
  Impl& m = *impl_;
  error_code ec;
  const auto addr = asio::ip::make_address(m.opt.host, ec);
  if (ec) throw LlmError("serve: \"" + m.opt.host + "\" is not an IP address");
  const tcp::endpoint ep(addr, m.opt.port);
  m.acceptor.open(ep.protocol(), ec);
  if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) m.acceptor.bind(ep, ec);
  if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw LlmError("serve: cannot listen on " + m.opt.host + ":" + std::to_string(m.opt.port) + ": " + ec.message());
  m.port = m.acceptor.local_endpoint().port();
  asio::co_spawn(m.ioc, m.accept_loop(), asio::detached);
  for (unsigned i = 0; i < std::max(1u, m.opt.threads); ++i) m.threads.emplace_back([&m] { m.ioc.run(); });
}

OpenAiServer::~OpenAiServer() { stop(); }

uint16_t OpenAiServer::port() const { return impl_->port; }

std::string OpenAiServer::base_url() const {
  const std::string& h = impl_->opt.host;
  const std::string host = h == "0.0.0.0" ? "127.0.0.1" : h == "::" ? "[::1]" : h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return "http://" + host + ":" + std::to_string(impl_->port) + "/v1";
}

void OpenAiServer::stop() {
  Impl& m = *impl_;
  std::call_once(m.stopped, [&m] {
    asio::post(m.acceptor.get_executor(), [&m] {
      error_code ignored;
      m.acceptor.close(ignored);
    });
    m.ioc.stop();
    for (auto& t : m.threads) t.join();
  });
}

}  // namespace borel::llm::http
