// Text helpers shared by the payload renderers (render.cpp, slack_message.cpp,
// webhook_payload.cpp, alertmanager_payload.cpp): bounded escaping for Slack, cutting at a
// character boundary, and times as people read them. Internal to the alert stage.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "alert/alert.h"
#include "common/time.h"
#include "common/utf8.h"

namespace gw {

// Appends slackEscape(text) to `out`, but at most `max_bytes` bytes of it: a code point whose
// escaped form would not fit whole is not started, so an entity, a \xNN or a UTF-8 sequence is
// never split. Returns how many bytes of `text` were consumed (text.size(): all of it).
std::size_t appendSlackEscaped(std::string& out, std::string_view text, std::size_t max_bytes);

// "2022-11-16 11:26:28" in the event's own offset (seconds; milliseconds dropped).
std::string localDateTime(Timestamp t, int utc_offset_minutes);
// "11:26:28".
std::string localTime(Timestamp t, int utc_offset_minutes);
// alert.zone_label, or the offset ("+09:00", "UTC") when the composer gave none.
std::string zoneLabelOf(const Alert& alert);

// "15m 2s", "1m", "2h 5m", "450ms": a duration without its zero parts, for people.
std::string shortDuration(Millis d);

// How long the incident lasted: resolved_at - started_at, zero while it fires.
Millis incidentDuration(const IncidentEvent& event);

}  // namespace gw
