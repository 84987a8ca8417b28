// FakeHttpServer.h — a scripted HTTP server on a loopback port, for the
// client's fault-injection tests: for the n-th request it sends exactly the
// bytes the script gives (a whole response, half of one, garbage, nothing),
// after an optional delay, and closes the connection when told to.
//
// It counts requests and connections, so a test can check that a request was
// retried (or not) and that connections were reused.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace borel::llm::test {

struct FakeReply {
  std::string raw;                       // bytes to send
  std::chrono::milliseconds delay{0};    // before sending them
  bool close = false;                    // close the connection afterwards
};

class FakeHttpServer {
public:
  // script(n, body): the reply to the n-th request (0-based, over all connections).
  using Script = std::function<FakeReply(int n, const std::string& body)>;

  explicit FakeHttpServer(Script script)
      : script_(std::move(script)),
        acceptor_(ioc_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeHttpServer() {
    stop_ = true;
    {  // wake the blocking accept with a connection of our own
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    }
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);  // wakes blocked reads
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return requests_; }
  int connections() const { return connections_; }

  // A whole HTTP/1.1 response.
  static std::string response(int status, const std::string& body, const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " Status\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
  }

private:
  void accept_loop() {
    for (;;) {
      auto s = std::make_shared<boost::asio::ip::tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*s, ec);
      if (stop_ || ec) return;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(s);
      threads_.emplace_back([this, s] { serve(*s); });
    }
  }

  void serve(boost::asio::ip::tcp::socket& s) {
    std::string buf;
    boost::system::error_code ec;
    for (;;) {
      const size_t head = boost::asio::read_until(s, boost::asio::dynamic_buffer(buf), "\r\n\r\n", ec);
      if (ec) break;
      std::string lower = buf.substr(0, head);
      for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      size_t length = 0;
      if (auto p = lower.find("content-length:"); p != std::string::npos) length = std::stoul(lower.substr(p + 15));
      if (buf.size() < head + length) boost::asio::read(s, boost::asio::dynamic_buffer(buf), boost::asio::transfer_exactly(head + length - buf.size()), ec);
      if (ec) break;
      const std::string body = buf.substr(head, length);
      buf.erase(0, head + length);
      const FakeReply r = script_(requests_++, body);
      if (r.delay.count() > 0) std::this_thread::sleep_for(r.delay);
      boost::asio::write(s, boost::asio::buffer(r.raw), ec);
      if (ec || r.close) break;
    }
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  }

  Script script_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
};

}  // namespace borel::llm::test
