// OpenAiServer.h — `borel lm serve`: the embedded engine behind an
// OpenAI-compatible HTTP/1.1 server (the endpoints are EngineEndpoints.h's).
//
//   OpenAiServer server(Model::load("stories260K.gguf"), ServerOptions{});   // a free loopback port
//   ClientOptions opt;
//   opt.base_url = server.base_url();                     // http://127.0.0.1:PORT/v1
//   OpenAiClient client(opt);
//
// Listens on 127.0.0.1 unless told otherwise: anything that can reach the
// port can use the model, and there is no authentication. Connections are
// kept alive; each is served by one coroutine, and `threads` requests are
// computed at once (the engine runs on the server's threads).
//
// Guarantees: the constructor returns once the socket is listening (so
// port() is known and requests may be sent), or throws LlmError; a malformed
// or oversized request gets a 4xx answer and its connection is closed, never
// a crash; stop() (and the destructor) stops accepting, drops open
// connections, and joins the threads.
#pragma once

#include "Model.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace borel::llm::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // the address to listen on ("0.0.0.0" = every interface)
  uint16_t port = 0;               // 0 = a free port chosen by the system (see port())
  unsigned threads = 2;            // requests computed at once
  std::string model_name = "borel";
  // A connection that sends no (complete) request for this long is closed.
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_request_bytes = size_t(8) << 20;  // larger bodies: 413
  // Called (from the server's threads) with one line per request, when set.
  std::function<void(std::string_view)> log;
};

class OpenAiServer {
public:
  OpenAiServer(std::shared_ptr<const Model> model, ServerOptions options);
  ~OpenAiServer();
  OpenAiServer(const OpenAiServer&) = delete;
  OpenAiServer& operator=(const OpenAiServer&) = delete;

  uint16_t port() const;
  // "http://HOST:PORT/v1", what OpenAiClient and OpenAI's own clients take.
  std::string base_url() const;

  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace borel::llm::http
