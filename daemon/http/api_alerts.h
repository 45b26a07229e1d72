// /api/alerts and /api/alerts/{id}: alert history as JSON for scripts and the history page.
// Parameters (all optional): since (a duration back from now such as 24h, or an RFC 3339 time;
// incidents updated at or after it), rule, source, open (true/false/1/0), limit (1..1000,
// default 100), offset (>= 0). Times are RFC 3339 in each incident's own UTC offset.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "common/time.h"
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

std::variant<HistoryQuery, ParamProblem> parseAlertQuery(const QueryParams& params, Timestamp now);

// {"alerts": [...], "next_offset": N or null}. `now` gives open incidents their duration.
std::string renderAlertList(const std::vector<IncidentHistory>& page,
                            std::optional<std::size_t> next_offset, Timestamp now);
// One incident with every attempt (the newest kMaxAttemptsPerIncident).
std::string renderAlertDetail(const IncidentHistory& incident, Timestamp now);

HttpResponse serveAlertList(HistoryReader& history, const HttpRequest& request, Timestamp now);
HttpResponse serveAlert(HistoryReader& history, const HttpRequest& request, Timestamp now);

}  // namespace gw
