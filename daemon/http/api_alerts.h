// /api/alerts and /api/alerts/{id}: alert history as JSON for scripts and the history page.
// Parameters (all optional): since (a duration back from now such as 24h, or an RFC 3339 time;
// incidents updated at or after it), until (the same forms; incidents that started at or before
// it — with since, the incidents that overlap the span), rule, source, open (true/false/1/0),
// limit (1..1000, default 100), offset (>= 0). Times are RFC 3339 in each incident's own UTC
// offset; "zone" names the server's zone ({"name":"KST","iana":"Asia/Seoul","offset_minutes":540}).
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "common/time.h"
#include "common/time_zone.h"
#include "http/history_reader.h"
#include "http/query_params.h"
#include "http/router.h"
#include "store/history_store.h"

namespace gw {

// Longest rule or source name a filter takes: config names are short; longer is a mistake.
inline constexpr std::size_t kMaxNameFilterBytes = 256;
// Longest incident id looked up: ids are short hashes; longer finds nothing.
inline constexpr std::size_t kMaxIncidentIdBytes = 256;
inline constexpr std::size_t kDefaultAlertLimit = 100;

// The parsed parameters of /api/alerts: the store's query, and `until`, which the store has no
// column condition for and the endpoint applies itself (see serveAlertList).
struct AlertListQuery {
  HistoryQuery history;
  std::optional<Timestamp> until;  // incidents started at or before
};

std::variant<AlertListQuery, ParamProblem> parseAlertListQuery(const QueryParams& params,
                                                               Timestamp now);
// The store's part alone (`until` is refused as unknown here): kept for callers without it.
std::variant<HistoryQuery, ParamProblem> parseAlertQuery(const QueryParams& params, Timestamp now);

// {"alerts": [...], "next_offset": N or null, "zone": {...}}. `now` gives open incidents their
// duration and picks the zone's current offset.
std::string renderAlertList(const std::vector<IncidentHistory>& page,
                            std::optional<std::size_t> next_offset, Timestamp now,
                            const TimeZone& zone = TimeZone::utc());
// One incident with every attempt (the newest kMaxAttemptsPerIncident), and "zone".
std::string renderAlertDetail(const IncidentHistory& incident, Timestamp now,
                              const TimeZone& zone = TimeZone::utc());

// Newest first by started_at. `until` skips the incidents that started after it: they come
// first in that order, so the endpoint finds how many there are by probing single rows
// (exponential, then binary search: about 2·log2(n) one-row reads) and reads its page after them.
HttpResponse serveAlertList(HistoryReader& history, const HttpRequest& request, Timestamp now,
                            const TimeZone& zone = TimeZone::utc());
HttpResponse serveAlert(HistoryReader& history, const HttpRequest& request, Timestamp now,
                        const TimeZone& zone = TimeZone::utc());

}  // namespace gw
