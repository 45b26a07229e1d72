// The configuration as plain structs with their defaults. Only config/loader.cpp reads YAML;
// every other stage sees these types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace gw {

enum class StartAt : uint8_t { kEnd, kBeginning };

struct SourceConfig {
  std::string name;
  std::string access_log;  // a path or a glob
  std::string error_log;   // optional
  std::vector<std::string>
      formats;  // predefined names or log_format text; tried in order. Default {"combined"}
  StartAt start_at = StartAt::kEnd;
  std::string timezone;  // IANA name; empty: the server's zone
  bool operator==(const SourceConfig&) const = default;
};

enum class RuleKind : uint8_t { kRatio, kConsecutive, kBurnRate, kErrorLog, kSilence };
enum class GroupKey : uint8_t { kSource, kHost, kUpstream, kPath };
enum class Severity : uint8_t { kInfo, kWarning, kCritical };

struct BurnWindow {
  Millis long_window{};
  Millis short_window{};
  double factor = 0;
  bool operator==(const BurnWindow&) const = default;
};

struct RuleConfig {
  std::string name;
  RuleKind kind = RuleKind::kRatio;

  // Common keys.
  std::vector<std::string> sources;  // empty: every source
  std::vector<GroupKey> group_by{GroupKey::kSource};
  Millis for_duration{0};
  Millis resolve_after{std::chrono::seconds(120)};
  Millis repeat_interval{std::chrono::hours(4)};
  Severity severity = Severity::kCritical;
  std::vector<std::string> sinks;   // empty: every sink
  std::size_t max_groups = 10'000;  // least recently seen groups are evicted beyond this

  // Which statuses count as failures (ratio, consecutive, burn_rate).
  // Default for ratio: {502, 503, 504}; consecutive: {502, 504}; burn_rate: every 5xx (empty = all
  // 5xx).
  std::vector<uint16_t> statuses;

  // ratio
  Millis window{std::chrono::seconds(60)};
  uint64_t min_requests = 20;
  std::optional<double> ratio;    // fire when errors/requests >= ratio ...
  std::optional<uint64_t> count;  // ... and errors >= count (ratio: each set one must hold;
                                  // consecutive: N; error_log: matches in window)

  // consecutive
  Millis within{std::chrono::minutes(30)};
  // Judges only while the group had fewer requests than this in the last `window`; busier
  // traffic is the ratio rule's. 0: always judges.
  uint64_t quiet_below = 20;

  // burn_rate
  double objective = 0.999;
  std::vector<BurnWindow> burn_windows;  // default: {1h, 5m, 14.4}, {6h, 30m, 6}

  // error_log
  std::vector<std::string> match;  // substrings of the error.log message

  // silence
  Millis after{std::chrono::minutes(15)};
  uint64_t min_previous = 100;

  bool operator==(const RuleConfig&) const = default;  // a reload keeps an unchanged rule's state
};

enum class SinkType : uint8_t { kSlack, kWebhook, kAlertmanager };
enum class WebhookPayload : uint8_t { kGatewatch, kAlertmanager };

struct SinkConfig {
  std::string name;
  SinkType type = SinkType::kWebhook;
  std::string url;  // discouraged: prefer url_env / url_file
  std::string url_env;
  std::string url_file;
  std::string secret_env;
  std::string secret_file;
  WebhookPayload payload = WebhookPayload::kGatewatch;
  Millis max_age{std::chrono::hours(24)};
  bool operator==(const SinkConfig&) const = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9177";  // "" turns the status server off
  // Basic auth for every endpoint but /healthz: both set or neither. The hash is crypt(3)'s
  // ($y$ yescrypt, $6$ SHA-512, ...), as `mkpasswd` or `openssl passwd -6` print it.
  std::string auth_user;
  std::string auth_password_hash;
  bool operator==(const HttpConfig&) const = default;
};

struct ContextConfig {
  uint32_t lines_before = 20;
  uint32_t error_lines = 20;
  bool redact_query_values = true;
  bool redact_ips = false;
  std::vector<std::string> redact_patterns;  // extra RE2 patterns
  bool operator==(const ContextConfig&) const = default;
};

struct TailConfig {
  Millis rotate_grace{std::chrono::seconds(30)};  // a renamed file quiet this long is closed
  Millis safety_check{std::chrono::seconds(10)};  // stat every followed file this often
  Millis checkpoint_interval{std::chrono::seconds(1)};
  uint64_t checkpoint_lines = 10'000;
  uint32_t max_line_bytes = 64 * 1024;
  bool operator==(const TailConfig&) const = default;
};

struct Config {
  std::string path;  // the file it was loaded from
  std::string state_dir = "/var/lib/gatewatch";
  HttpConfig http;
  std::vector<SourceConfig> sources;
  std::vector<RuleConfig> rules;  // empty in the file: defaultRules() apply
  std::vector<SinkConfig> sinks;
  ContextConfig context;
  TailConfig tail;
  Millis history_retention{std::chrono::hours(24 * 90)};
  // Per-minute request and failure counters of every source (the history page's charts).
  Millis minutes_retention{std::chrono::hours(24 * 14)};
};

// The rules that apply when a config names none: `upstream-down` (consecutive, 3 within 30m)
// and `upstream-failure-rate` (ratio 5% or 10 errors over 60s, min 20 requests).
std::vector<RuleConfig> defaultRules();

const char* toString(RuleKind kind);
const char* toString(GroupKey key);
const char* toString(Severity severity);
const char* toString(SinkType type);

}  // namespace gw
