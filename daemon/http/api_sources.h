// /api/sources and /api/sources/{name}/minutes: the per-minute traffic of each source for the
// history page's charts (and for scripts).
//   /api/sources → {"sources":[{"name","first_minute","last_minute","requests_24h",
//                   "failures_24h"}], "zone": {...}}
//   /api/sources/{name}/minutes?from=&to= → {"source","from","to","step_seconds":60,
//                   "minutes":[{"t":RFC 3339,"requests","failures","s2xx","s3xx","s4xx","s5xx",
//                   "s502","s503","s504"}], "zone": {...}}
// from/to: RFC 3339 times or durations back from now (24h); default the last 24 h; a span wider
// than kMaxMinuteSpan or from >= to is a 400 naming the parameter. Minutes without a row are
// absent (the daemon was not watching). "zone" is the server's:
// {"name":"KST","offset_minutes":540}. Each minute overlapping [from, to) is listed (the minute
// `from` falls in included); "t" is the minute's start in the server's offset at that minute;
// "from"/"to" echo the span asked. A source never seen (or not yet flushed: a just-started one)
// answers 200 with no minutes; a name longer than kMaxSourceNameBytes answers 404. Times outside
// 1970..9999 are a 400. No database (or one from before the counters) answers 503 with Retry-After,
// as /api/alerts.
#pragma once

#include <cstddef>

#include "common/time.h"
#include "common/time_zone.h"
#include "http/history_reader.h"
#include "http/router.h"

namespace gw {

// Source names come from the config and are short; a longer {name} cannot match one.
inline constexpr std::size_t kMaxSourceNameBytes = 256;
// The span when `from` is not given: the source page's last day.
inline constexpr Millis kDefaultMinuteSpan{std::chrono::hours(24)};

HttpResponse serveSourceList(HistoryReader& history, const HttpRequest& request, Timestamp now,
                             const TimeZone& zone);
HttpResponse serveSourceMinutes(HistoryReader& history, const HttpRequest& request, Timestamp now,
                                const TimeZone& zone);

}  // namespace gw
