// StatusSnapshot: what the running daemon knows about itself, published by the pipeline once a
// second (and after each alert) for /healthz, /metrics, systemd's STATUS= and logs. A plain value:
// readers on other threads take a shared_ptr to an immutable copy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"

namespace gw {

struct SourceStatus {
  std::string name;
  uint64_t lines_parsed = 0;
  uint64_t lines_malformed = 0;
  uint64_t error_lines = 0;                     // error.log lines read
  std::array<uint64_t, 6> requests_by_class{};  // [0] other, [1] 1xx ... [5] 5xx
  uint64_t rotations = 0;
  std::optional<Timestamp> last_line_at;    // wall time the last access line was read
  std::optional<Timestamp> last_record_at;  // the newest line's own timestamp
  bool readable = true;                     // false: its log can't be read now
  std::string problem;  // why not (permission denied, missing ...), for /healthz
  std::optional<Timestamp> unreadable_since;
};

struct PathStatus {
  std::string source;
  std::string path;
  uint64_t lag_bytes = 0;
};

struct SinkStatus {
  std::string name;
  std::string type;  // slack, webhook, alertmanager
  uint64_t delivered = 0;
  uint64_t retried = 0;
  uint64_t failed = 0;
  uint64_t expired = 0;
  uint64_t pending = 0;
  std::string last_error;
  std::optional<Timestamp> last_error_at;
  bool failing = false;                        // the latest attempt failed permanently
  std::optional<Timestamp> oldest_pending_at;  // created_at of the oldest undelivered alert
};

struct OpenIncidentStatus {
  std::string id;
  std::string rule;
  std::string source;
  std::vector<std::pair<std::string, std::string>> group;
  Timestamp started_at{};
  Timestamp fired_at{};
};

struct StatusSnapshot {
  Timestamp taken_at{};
  Timestamp started_at{};  // when the daemon started
  std::string version;
  std::string hostname;
  std::string config_path;
  uint64_t config_reloads = 0;
  uint64_t config_reload_failures = 0;
  std::vector<SourceStatus> sources;
  std::vector<PathStatus> paths;
  std::vector<SinkStatus> sinks;
  std::vector<OpenIncidentStatus> open_incidents;
  // (rule, event) → alerts composed since the start: gatewatch_alerts_total{rule,event}
  std::map<std::pair<std::string, std::string>, uint64_t> alerts;
  uint64_t outbox_pending = 0;
  double lines_per_second = 0;  // over the last few seconds, all sources
  uint64_t detector_groups = 0;
  uint64_t skew_clamped = 0;  // lines whose time was more than 60 s off the clock
  uint64_t groups_evicted = 0;
  bool checkpoints_failing = false;  // the last checkpoint commit failed
};

// An outbox notification older than this, still undelivered, makes /healthz unhealthy: the
// sinks are not taking alerts.
inline constexpr Millis kOutboxStuckAfter{std::chrono::minutes(10)};
// A source unreadable this long makes /healthz unhealthy (brief gaps during rotation are normal).
inline constexpr Millis kUnreadableUnhealthyAfter{std::chrono::seconds(60)};

}  // namespace gw
