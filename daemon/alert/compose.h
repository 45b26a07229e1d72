// AlertComposer: turns the detector's incident events into Alerts — summary and headline, the
// source's recent access lines of the failing group, the error.log lines of the incident's span,
// every log-derived string redacted and cut. Pure: it keeps rings of lines it is handed and reads
// no clock and no file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "alert/context_ring.h"
#include "alert/redactor.h"
#include "common/time_zone.h"
#include "common/utf8.h"
#include "config/config.h"
#include "detect/incident_event.h"
#include "parse/access_record.h"
#include "parse/error_record.h"

namespace gw {

// error.log lines are stamped to the second and written just before the access line of the same
// request; lines this long before started_at still belong to the incident.
inline constexpr Millis kErrorLineLead{std::chrono::seconds(2)};

struct ComposerOptions {
  std::vector<std::string> source_names;  // in source-index order, as the Detector has them
  ContextConfig context;
  std::string hostname;
  // The zone times are labelled in ("KST"); when its offset differs from the event's own
  // utc_offset_minutes, the label is the offset ("+09:00").
  TimeZone display_zone = TimeZone::utc();
};

class AlertComposer {
 public:
  AlertComposer(ComposerOptions options, Redactor redactor);

  // Every parsed access line of a source (cheap: copies bytes into a preallocated slot).
  void rememberAccess(std::size_t source, std::string_view raw_line, const AccessRecord& record);
  // Every error.log line of a source.
  void rememberError(std::size_t source, std::string_view raw_line, const ErrorRecord& record);

  // The alert for one event. Context lines: the last `lines_before` access lines of the event's
  // source and group up to event_at; error.log lines from started_at - kErrorLineLead to
  // event_at (resolved: resolved_at), at most `error_lines`. Each line redacted, then cut to
  // kContextLineChars at a UTF-8 boundary with invalid bytes replaced by U+FFFD.
  Alert compose(const IncidentEvent& event) const;

  // A clearly marked test alert for `gatewatch test-alert`: made-up figures, test = true.
  Alert testAlert(Timestamp now) const;

  const Redactor& redactor() const { return redactor_; }

 private:
  ComposerOptions options_;
  Redactor redactor_;
  std::vector<AccessContextRing> access_;
  std::vector<ErrorContextRing> errors_;
};

// One sentence about the event, e.g. "502 Bad Gateway on 96% of 240 requests in the last 60s",
// "3 requests in a row failed with 502 Bad Gateway within 41s", "resolved after 15m 2s: ...".
std::string summarize(const IncidentEvent& event);
// The chat headline: an emoji by event and severity, what, where, since when (local time).
std::string headline(const IncidentEvent& event, std::string_view zone_label, bool test);
// "KST" when `zone` has that offset at `at`, else "+09:00".
std::string zoneLabel(const TimeZone& zone, Timestamp at, int utc_offset_minutes);
// "502 Bad Gateway": the reason phrase nginx sends with a status, "" when unknown.
std::string_view statusReason(uint16_t status);

}  // namespace gw
