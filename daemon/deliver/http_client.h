// HttpClient: POSTs with libcurl's multi interface on a thread of its own, so a slow or dead
// endpoint never holds up the caller or another request. Each request has the connect and total
// timeouts of delivery_policy.h, reads at most kMaxAnswerBodyBytes of the answer, follows no
// redirect, and reports exactly once through its callback (on the client's thread).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "alert/delivery_policy.h"
#include "alert/render.h"

namespace gw {

struct HttpClientOptions {
  Millis connect_timeout = kConnectTimeout;
  Millis total_timeout = kTotalTimeout;
  std::size_t max_body_bytes = kMaxAnswerBodyBytes;
};

class HttpClient {
 public:
  using Done = std::function<void(HttpAnswer)>;

  explicit HttpClient(HttpClientOptions options = {});
  // Stops the thread. Requests still in flight are abandoned: their callbacks run with status 0
  // and transport_error "cancelled: gatewatch is stopping".
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Thread-safe. The request starts at once, whatever else is in flight.
  void post(HttpPost request, Done done);

  // post() and wait for the answer (for `gatewatch test-alert`).
  HttpAnswer postAndWait(HttpPost request);

  std::size_t inFlight() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw
