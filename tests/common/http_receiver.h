// HttpReceiver: a real HTTP/1.1 server on 127.0.0.1 for tests (Boost.Beast, a thread per
// connection). It records every request and answers from a script: a status, headers, a body, a
// delay, or closing the connection without an answer. stop() takes it down (a receiver that is
// "down"); start() brings it back on the same port.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gw::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::chrono::steady_clock::time_point at;  // when the request was complete
  std::string header(const std::string& lower_name) const;
};

struct ScriptedAnswer {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before answering
  bool close_without_answer = false;   // read the request, then close: the client sees an error
};

class HttpReceiver {
 public:
  // Listens on 127.0.0.1 at `port` (0: any free port) at once.
  explicit HttpReceiver(uint16_t port = 0);
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  uint16_t port() const;
  std::string url(const std::string& path = "/") const;  // "http://127.0.0.1:PORT/path"

  // Answers are taken in order, one per request; when none is queued, `fallback` answers (200 "ok"
  // unless set).
  void enqueue(ScriptedAnswer answer);
  void setFallback(ScriptedAnswer answer);

  void stop();   // closes the listener and every open connection
  void start();  // listens again on the same port

  std::vector<ReceivedRequest> requests() const;
  std::size_t requestCount() const;
  // Waits (bounded) until at least `n` requests have arrived; false on timeout.
  bool waitForRequests(std::size_t n, std::chrono::milliseconds timeout) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::testing
