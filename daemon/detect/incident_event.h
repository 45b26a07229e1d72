// IncidentEvent: what the detector emits when a rule's group changes state. Owns its strings
// (events are rare; records are not).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "config/config.h"

namespace gw {

enum class EventKind : uint8_t { kFiring, kReminder, kResolved };
const char* toString(EventKind kind);

struct WindowStats {
  uint64_t requests =
      0;                // requests the rule counted in the window (excludes never-reached-upstream)
  uint64_t errors = 0;  // of which failures by the rule's statuses
  // Every status counted in the window. A window keeps 6 success and 4 failure statuses apart
  // at a time (traffic_window.h); beyond that, the others are summed under status 0, "other".
  std::map<uint16_t, uint64_t> by_status;
  double ratio() const { return requests ? double(errors) / double(requests) : 0.0; }
};

struct NamedCount {
  std::string name;  // a path (no query) or an upstream address
  uint64_t count = 0;
};

struct IncidentEvent {
  std::string incident_id;  // stable across firing, reminders and resolved of one incident
  EventKind kind = EventKind::kFiring;
  std::string rule;
  RuleKind rule_kind = RuleKind::kRatio;
  Severity severity = Severity::kCritical;
  std::string source;
  std::vector<std::pair<std::string, std::string>>
      group;  // ("source","x"), ("upstream","1.2.3.4:80") ...

  Timestamp started_at{};  // the first failing request of this incident
  Timestamp fired_at{};    // when the rule's condition (and `for`) was met
  std::optional<Timestamp> resolved_at;
  Timestamp event_at{};            // the detector time of this event
  int16_t utc_offset_minutes = 0;  // of the source's lines, for display

  Millis window{};    // the span the stats cover
  WindowStats stats;  // at the time of the event
  WindowStats peak;   // the window with the highest error count seen during the incident
  Timestamp peak_at{};
  std::vector<NamedCount> top_paths;  // failures by path, most first (at most 10)
  std::vector<NamedCount> upstreams;  // failures by first upstream address, most first (at most 10)
  std::string detail;  // kind-specific, e.g. "3 consecutive failures", "burn 14.4x over 1h and 5m",
                       // "no requests for 15m after 1,234", the matched error.log text
  std::vector<std::string> sinks;  // from the rule
};

}  // namespace gw
