// ScanResult: everything `gatewatch scan` found, as plain data; the text and JSON renderers
// read it and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "detect/incident_event.h"

namespace gw {

struct MalformedSample {
  uint64_t line_number = 0;
  std::string reason;
};

struct FileSummary {
  std::string path;
  std::string source;
  bool error_log = false;
  uint64_t lines = 0;
  uint64_t parsed = 0;
  uint64_t malformed = 0;
  uint64_t cut = 0;  // lines longer than the reader's limit, cut
  std::optional<Timestamp> first_time;
  std::optional<Timestamp> last_time;
  int16_t utc_offset_minutes = 0;
  std::vector<MalformedSample> malformed_samples;  // the first few
  std::string error;                               // an I/O problem that ended the file early
};

// One minute of one source: the picture of traffic around incidents.
struct MinuteCounts {
  uint64_t requests = 0;
  uint64_t upstream_failures = 0;  // 502/503/504 that reached (or may have reached) an upstream
  uint64_t other_5xx = 0;          // 500, 501, ... : the application failing
  uint64_t not_reached = 0;  // nginx's own answers (limit_req 503, 499, 400 with upstream "-")
};

struct SourceTimeline {
  std::string source;
  int16_t utc_offset_minutes = 0;
  std::map<int64_t, MinuteCounts> minutes;  // key: minutes since the epoch (UTC)
};

struct IncidentReport {
  IncidentEvent fired;                    // the firing event as the detector emitted it
  std::optional<IncidentEvent> resolved;  // the resolved event, when it came
  uint64_t reminders = 0;
  std::optional<Timestamp> last_failure_at;  // the last failing request of the source while open
  // A partial incident (requests kept succeeding) ends when its rule's condition cleared:
  // resolved_at - resolve_after. Background failures after it are not the incident's.
  std::optional<Timestamp> back_to_normal_at;
  std::optional<Timestamp> last_good_before;  // the last good request before the run of failures
  std::string first_failure_line;
  std::string last_good_line;
  int64_t peak_minute = 0;  // minutes since the epoch
  MinuteCounts peak;
  std::vector<std::string> error_lines;
  uint64_t error_lines_dropped = 0;
};

struct ScanResult {
  std::vector<FileSummary> files;  // in the order they were given (after glob expansion)
  std::vector<IncidentReport> incidents;
  std::vector<SourceTimeline> timelines;
  uint64_t lines = 0;
  uint64_t parsed = 0;
  uint64_t malformed = 0;
  uint64_t bytes = 0;
  std::optional<Timestamp> first_time;
  std::optional<Timestamp> last_time;
  int16_t utc_offset_minutes = 0;  // of the first parsed line, for display
  std::vector<std::string> rules;  // names of the rules that ran
};

}  // namespace gw
