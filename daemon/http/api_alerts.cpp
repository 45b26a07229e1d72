#include "http/api_alerts.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace gw {
namespace {

using Json = nlohmann::json;

// A `since` or `until` longer than this is neither a duration nor a time (and parseDuration's
// sum stays far from overflow).
constexpr std::size_t kMaxSinceBytes = 64;
// Offsets past this are no page anyone reads (history holds a few thousand incidents); the bound
// keeps offset + limit and the store's OFFSET far from overflow.
constexpr std::size_t kMaxAlertOffset = 1'000'000'000;

std::string dumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json timeIn(Timestamp t, int offset_minutes) { return formatRfc3339(t, offset_minutes); }

Json optionalTimeIn(const std::optional<Timestamp>& t, int offset_minutes) {
  return t ? timeIn(*t, offset_minutes) : Json(nullptr);
}

// Stored JSON (written by the alert stage) parsed back; kept as a string if it ever fails.
Json embedded(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

Json attemptJson(const DeliveryAttemptRow& a, int offset_minutes) {
  return {{"sink", a.sink},
          {"event", a.event},
          {"attempt", a.attempt},
          {"at", timeIn(a.at, offset_minutes)},
          {"outcome", a.outcome},
          {"http_status", a.http_status != 0 ? Json(a.http_status) : Json(nullptr)},
          {"slack_error", a.slack_error.empty() ? Json(nullptr) : Json(a.slack_error)},
          {"latency_ms", a.latency_ms},
          {"detail", a.detail}};
}

// Per sink, in the order each first appears: how its notifications ended.
Json deliveriesJson(const std::vector<DeliveryAttemptRow>& attempts, int offset_minutes) {
  Json out = Json::array();
  std::vector<std::string> order;
  for (const DeliveryAttemptRow& a : attempts) {
    if (std::find(order.begin(), order.end(), a.sink) == order.end()) order.push_back(a.sink);
  }
  for (const std::string& sink : order) {
    const DeliveryAttemptRow* last = nullptr;
    std::optional<Timestamp> delivered_at;
    uint64_t count = 0;
    for (const DeliveryAttemptRow& a : attempts) {  // oldest first: the last one seen is the latest
      if (a.sink != sink) continue;
      ++count;
      last = &a;
      if (a.outcome == "delivered") delivered_at = a.at;
    }
    out.push_back(
        {{"sink", sink},
         {"attempts", count},
         {"last_event", last->event},
         {"last_outcome", last->outcome},
         {"last_attempt_at", timeIn(last->at, offset_minutes)},
         {"delivered_at", optionalTimeIn(delivered_at, offset_minutes)},
         {"last_http_status", last->http_status != 0 ? Json(last->http_status) : Json(nullptr)},
         {"last_slack_error", last->slack_error.empty() ? Json(nullptr) : Json(last->slack_error)},
         {"last_detail", last->detail}});
  }
  return out;
}

Json incidentJson(const IncidentHistory& history, Timestamp now) {
  const IncidentRow& row = history.incident;
  const int offset = row.utc_offset_minutes;
  const Timestamp end = row.resolved_at.value_or(now);
  const Millis duration = end > row.started_at ? end - row.started_at : Millis{0};
  return {
      {"id", row.id},
      {"rule", row.rule},
      {"rule_kind", row.rule_kind},
      {"severity", row.severity},
      {"source", row.source},
      {"group", embedded(row.group_json)},
      {"hostname", row.hostname},
      {"started_at", timeIn(row.started_at, offset)},
      {"fired_at", timeIn(row.fired_at, offset)},
      {"resolved_at", optionalTimeIn(row.resolved_at, offset)},
      {"updated_at", timeIn(row.updated_at, offset)},
      {"open", !row.resolved_at.has_value()},
      {"last_event", row.last_event},
      {"duration_seconds", static_cast<double>(duration.count()) / 1000.0},
      {"peak",
       {{"requests", row.peak_requests}, {"errors", row.peak_errors}, {"ratio", row.peak_ratio}}},
      {"summary", row.summary},
      {"test", row.test},
      {"deliveries", deliveriesJson(history.attempts, offset)},
      {"alert", embedded(row.alert_json)}};
}

// The server's zone, for a page that shows times as the server's people read them.
Json zoneJson(const TimeZone& zone, Timestamp now) {
  std::string label = zone.abbreviationAt(now);
  if (label.empty()) label = zone.name();
  return {{"name", label}, {"iana", zone.name()}, {"offset_minutes", zone.offsetAt(now)}};
}

// A duration back from now (24h) or an RFC 3339 time; what since and until take.
std::optional<Timestamp> parseTimeParam(const std::string& text, Timestamp now) {
  if (text.size() > kMaxSinceBytes) return std::nullopt;
  Millis back{0};
  if (parseDuration(text, back)) return now - back;
  return parseRfc3339(text);
}

ParamProblem badTime(const char* name) {
  return ParamProblem{name,
                      "expected a duration back from now (30m, 24h, 7d) or an RFC 3339 time "
                      "(2022-11-16T11:26:28+09:00)"};
}

// Everything but the check for unknown parameters, which differs between the two parsers.
std::variant<AlertListQuery, ParamProblem> parseKnown(const QueryParams& params, Timestamp now) {
  AlertListQuery parsed;
  HistoryQuery& query = parsed.history;
  query.limit = kDefaultAlertLimit;
  if (const std::string* since = params.find("since")) {
    query.since = parseTimeParam(*since, now);
    if (!query.since) return badTime("since");
  }
  if (const std::string* until = params.find("until")) {
    parsed.until = parseTimeParam(*until, now);
    if (!parsed.until) return badTime("until");
    if (query.since && *parsed.until < *query.since) {
      return ParamProblem{"until", "is before since: expected a time at or after since"};
    }
  }
  for (auto [name, target] : {std::pair{"rule", &query.rule}, std::pair{"source", &query.source}}) {
    if (const std::string* value = params.find(name)) {
      if (value->empty() || value->size() > kMaxNameFilterBytes) {
        return ParamProblem{name, "expected a " + std::string(name) + " name (1 to " +
                                      std::to_string(kMaxNameFilterBytes) + " bytes)"};
      }
      *target = *value;
    }
  }
  if (const std::string* open = params.find("open")) {
    auto flag = parseBoolParam(*open);
    if (!flag) return ParamProblem{"open", "expected true, false, 1 or 0"};
    query.open_only = *flag;
  }
  if (const std::string* limit = params.find("limit")) {
    auto value = parseUnsignedParam(*limit);
    if (!value || *value < 1 || *value > kMaxHistoryLimit) {
      return ParamProblem{"limit",
                          "expected a whole number from 1 to " + std::to_string(kMaxHistoryLimit)};
    }
    query.limit = static_cast<std::size_t>(*value);
  }
  if (const std::string* offset = params.find("offset")) {
    auto value = parseUnsignedParam(*offset);
    if (!value || *value > kMaxAlertOffset) {
      return ParamProblem{"offset", "expected a whole number, 0 or more (at most " +
                                        std::to_string(kMaxAlertOffset) + ")"};
    }
    query.offset = static_cast<std::size_t>(*value);
  }
  return parsed;
}

// How many incidents of `query` (its limit and offset aside) started after `until`. Newest
// first by started_at, they are the first ones: the answer is the index of the first row that
// started at or before `until` (or the count of rows), found with one-row reads.
Result<std::size_t> countStartedAfter(HistoryStore& store, HistoryQuery query, Timestamp until) {
  query.limit = 1;
  auto startedAfter = [&](std::size_t index) -> Result<bool> {
    query.offset = index;
    auto rows = store.query(query);
    if (!rows) return rows.error();
    return !rows->empty() && (*rows)[0].incident.started_at > until;
  };
  auto first = startedAfter(0);
  if (!first) return first.error();
  if (!*first) return std::size_t{0};
  // Row `low` started after `until`; find a `high` that does not (or is past the end).
  std::size_t low = 0;
  std::size_t high = 1;
  while (true) {
    auto after = startedAfter(high);
    if (!after) return after.error();
    if (!*after) break;
    low = high;
    high = high * 2 + 1;
  }
  while (high - low > 1) {
    const std::size_t mid = low + (high - low) / 2;
    auto after = startedAfter(mid);
    if (!after) return after.error();
    (*after ? low : high) = mid;
  }
  return high;
}

HttpResponse unavailable(const Error& error) {
  HttpResponse response = jsonError(503, error.message);
  response.headers.emplace_back("Retry-After", "10");
  return response;
}

}  // namespace

std::variant<AlertListQuery, ParamProblem> parseAlertListQuery(const QueryParams& params,
                                                               Timestamp now) {
  if (auto problem =
          params.rejectUnknown({"since", "until", "rule", "source", "open", "limit", "offset"})) {
    return *problem;
  }
  return parseKnown(params, now);
}

std::variant<HistoryQuery, ParamProblem> parseAlertQuery(const QueryParams& params, Timestamp now) {
  if (auto problem = params.rejectUnknown({"since", "rule", "source", "open", "limit", "offset"})) {
    return *problem;
  }
  auto parsed = parseKnown(params, now);
  if (auto* problem = std::get_if<ParamProblem>(&parsed)) return *problem;
  return std::get<AlertListQuery>(parsed).history;
}

std::string renderAlertList(const std::vector<IncidentHistory>& page,
                            std::optional<std::size_t> next_offset, Timestamp now,
                            const TimeZone& zone) {
  Json alerts = Json::array();
  for (const IncidentHistory& history : page) alerts.push_back(incidentJson(history, now));
  return dumpJson({{"alerts", std::move(alerts)},
                   {"next_offset", next_offset ? Json(*next_offset) : Json(nullptr)},
                   {"zone", zoneJson(zone, now)}});
}

std::string renderAlertDetail(const IncidentHistory& history, Timestamp now, const TimeZone& zone) {
  Json body = incidentJson(history, now);
  // The firing alert as sent (its context is what on-call saw first), in the detail only: the
  // list would carry every incident's lines twice.
  const std::string& firing = history.incident.firing_alert_json;
  body["firing_alert"] = firing.empty() ? Json(nullptr) : embedded(firing);
  body["zone"] = zoneJson(zone, now);
  Json attempts = Json::array();
  for (const DeliveryAttemptRow& a : history.attempts) {
    attempts.push_back(attemptJson(a, history.incident.utc_offset_minutes));
  }
  body["attempts"] = std::move(attempts);
  return dumpJson(body);
}

HttpResponse serveAlertList(HistoryReader& history, const HttpRequest& request, Timestamp now,
                            const TimeZone& zone) {
  auto parsed = parseAlertListQuery(request.query, now);
  if (auto* problem = std::get_if<ParamProblem>(&parsed)) return badParameter(*problem);
  const AlertListQuery& list = std::get<AlertListQuery>(parsed);
  HistoryQuery query = list.history;

  auto store = history.store();
  if (!store) return unavailable(store.error());
  auto failed = [&](const Error& error) {
    spdlog::warn("status server: alert history query failed: {}", error.message);
    history.reset();
    return unavailable(Error{"reading alert history failed: " + error.message});
  };
  if (list.until) {
    auto skip = countStartedAfter(**store, query, *list.until);
    if (!skip) return failed(skip.error());
    query.offset += *skip;
  }
  auto page = (*store)->query(query);
  if (!page) return failed(page.error());
  // A full page may have a successor; a short one is the last. Offsets count from the first
  // incident that passes every filter, `until` included.
  std::optional<std::size_t> next;
  if (page->size() == query.limit) next = list.history.offset + query.limit;
  HttpResponse response;
  response.body = renderAlertList(*page, next, now, zone);
  return response;
}

HttpResponse serveAlert(HistoryReader& history, const HttpRequest& request, Timestamp now,
                        const TimeZone& zone) {
  if (auto problem = request.query.rejectUnknown({})) return badParameter(*problem);
  const std::string& id = request.pathParam("id");
  if (id.size() > kMaxIncidentIdBytes) return jsonError(404, "no incident with this id");

  auto store = history.store();
  if (!store) return unavailable(store.error());
  auto found = (*store)->incident(id);
  if (!found) {
    spdlog::warn("status server: alert history lookup failed: {}", found.error().message);
    history.reset();
    return unavailable(Error{"reading alert history failed: " + found.error().message});
  }
  if (!found->has_value()) return jsonError(404, "no incident with id " + id);
  HttpResponse response;
  response.body = renderAlertDetail(**found, now, zone);
  return response;
}

}  // namespace gw
