// What to do with a sink's answer, and when to try again: the pure rules of delivery. Every
// answer is classified (delivered, retry later, rate limited, permanent failure); retries back off
// exponentially with full jitter; Slack is paced per webhook URL.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "common/time.h"
#include "config/config.h"

namespace gw {

// Response bodies are read up to this many bytes; the rest is dropped (a receiver's error page
// is not ours to store).
inline constexpr std::size_t kMaxAnswerBodyBytes = 64 * 1024;
inline constexpr Millis kConnectTimeout{std::chrono::seconds(5)};
inline constexpr Millis kTotalTimeout{std::chrono::seconds(15)};
// Retry-After (and Slack's retry_after) is clamped to this range: below, a receiver is hammered;
// above, an alert is as good as lost.
inline constexpr Millis kMinRetryAfter{std::chrono::seconds(1)};
inline constexpr Millis kMaxRetryAfter{std::chrono::minutes(15)};
inline constexpr Millis kBackoffBase{std::chrono::seconds(1)};
inline constexpr Millis kBackoffCap{std::chrono::minutes(5)};

// What came back from one POST.
struct HttpAnswer {
  int status = 0;               // 0: no HTTP answer (connect error, timeout, ...)
  std::string body;             // at most kMaxAnswerBodyBytes
  std::string retry_after;      // the Retry-After header as sent, empty when absent
  std::string transport_error;  // curl's message when status is 0 (never contains the URL)
  bool timed_out = false;
  Millis latency{};
};

enum class Verdict : uint8_t {
  kDelivered,
  kRetry,        // 5xx, 408, timeouts, connection errors: back off and try again
  kRateLimited,  // 429: wait as told (Retry-After / retry_after), then try again
  kPermanent,    // other 4xx, Slack's permanent errors: stop, record, raise an error
};
const char* toString(Verdict verdict);

struct Classification {
  Verdict verdict = Verdict::kRetry;
  Millis wait{};            // kRateLimited: how long to wait (clamped); otherwise 0
  std::string slack_error;  // "channel_not_found", "invalid_payload", ... when Slack said so
  std::string reason;       // one line for logs and history: "HTTP 404: channel_not_found"
};

// `now` turns an HTTP-date Retry-After into a wait.
Classification classify(SinkType type, const HttpAnswer& answer, Timestamp now);

// "120" or "Wed, 21 Oct 2015 07:28:00 GMT" → the wait, clamped to [kMinRetryAfter,
// kMaxRetryAfter]; nullopt when malformed.
std::optional<Millis> parseRetryAfter(std::string_view value, Timestamp now);

// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))], attempt counted from 1, and never
// below 100 ms.
Millis backoffDelay(uint32_t attempt, std::mt19937_64& rng);

// Slack accepts about one message per second per incoming webhook; a small burst lets the firing
// of two incidents go out together.
inline constexpr double kSlackMessagesPerSecond = 1.0;
inline constexpr double kSlackBurst = 3.0;

// A token bucket on the steady clock.
class TokenBucket {
 public:
  TokenBucket(double per_second, double burst);
  // Takes a token when one is there.
  bool tryTake(std::chrono::steady_clock::time_point now);
  // When the next token will be there (now when one is).
  std::chrono::steady_clock::time_point nextToken(std::chrono::steady_clock::time_point now) const;

 private:
  void refill(std::chrono::steady_clock::time_point now) const;
  double per_second_;
  double burst_;
  mutable double tokens_;
  mutable std::chrono::steady_clock::time_point last_{};
  mutable bool started_ = false;
};

}  // namespace gw
