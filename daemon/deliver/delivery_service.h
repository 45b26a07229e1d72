// DeliveryService: takes composed alerts, writes each (per sink) to the outbox and the incident to
// history before anything is sent, and delivers them — one request in flight per sink, Slack paced
// per URL, retries and give-ups as delivery_policy.h says, firing Alertmanager alerts re-sent. It
// runs on the io_context it is given; HTTP runs on its HttpClient's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "alert/sink.h"
#include "common/result.h"
#include "common/time.h"
#include "deliver/http_client.h"
#include "store/sqlite.h"

namespace gw {

struct DeliveryOptions {
  Millis history_retention{std::chrono::hours(24 * 90)};
  uint64_t jitter_seed = 0;  // 0: from std::random_device
  HttpClientOptions http;
};

// Per sink, for logs, /healthz, /metrics and STATUS=.
struct SinkDeliveryStats {
  uint64_t delivered = 0;
  uint64_t retried = 0;    // attempts that will be retried (5xx, timeouts, 429)
  uint64_t failed = 0;     // permanent failures (4xx, Slack's permanent errors)
  uint64_t expired = 0;    // given up after max_age
  uint64_t pending = 0;    // in the outbox now
  std::string last_error;  // the latest failure's reason; never a URL or a secret
  Timestamp last_error_at{};
  bool failing = false;           // the latest attempt failed permanently: an operator must act
  bool in_flight = false;         // a request is out now
  Timestamp oldest_pending_at{};  // created_at of the oldest undelivered notification ({}: none)
};

class DeliveryService {
 public:
  DeliveryService(boost::asio::io_context& io, Database& db, std::vector<ResolvedSink> sinks,
                  const Clock& clock, DeliveryOptions options = {});
  ~DeliveryService();

  // Loads what the outbox holds (sent at once, oldest first) and the open incidents that
  // Alertmanager sinks re-send; prunes history past its retention.
  Result<void> start();
  // Records the alert's incident and queues it for the event's sinks (every sink when the rule
  // names none). Call on the io_context's thread.
  void submit(const Alert& alert);
  // Cancels timers and abandons in-flight requests; the outbox keeps what was not delivered.
  void stop();

  std::map<std::string, SinkDeliveryStats> stats() const;
  uint64_t outboxPending() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw
