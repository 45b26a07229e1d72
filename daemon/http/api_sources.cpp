#include "http/api_sources.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "store/minute_store.h"

namespace gw {
namespace {

using Json = nlohmann::json;

// A time parameter longer than this is neither a duration nor a time (and parseDuration's sum
// stays far from overflow).
constexpr std::size_t kMaxTimeParamBytes = 64;
// Times answered are RFC 3339 with four-digit years; both bounds keep every formatted time
// (and every offset lookup) in that range whatever a client sends.
constexpr Timestamp kEarliestTime{Millis{0}};                  // 1970-01-01
constexpr Timestamp kLatestTime{Millis{253'402'300'800'000}};  // 10000-01-01
static_assert(kLatestTime.time_since_epoch().count() == daysFromCivil(10000, 1, 1) * 86'400'000);

std::string dumpJson(const Json& j) {
  // Source names are the config's, but a {name} from the URL may be any bytes: replaced, never
  // thrown on.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json zoneJson(const TimeZone& zone, Timestamp at) {
  std::string name = zone.abbreviationAt(at);
  if (name.empty()) name = zone.name();
  return {{"name", name}, {"offset_minutes", zone.offsetAt(at)}};
}

std::string timeIn(const TimeZone& zone, Timestamp t) { return formatRfc3339(t, zone.offsetAt(t)); }

HttpResponse unavailable(const Error& error) {
  HttpResponse response = jsonError(503, error.message);
  response.headers.emplace_back("Retry-After", "10");
  return response;
}

// `from` or `to`: a duration back from now (24h) or an RFC 3339 time.
std::variant<Timestamp, ParamProblem> parseTimeParam(const char* name, const std::string& text,
                                                     Timestamp now) {
  std::optional<Timestamp> at;
  Millis back{0};
  if (text.size() <= kMaxTimeParamBytes) {
    if (parseDuration(text, back)) {
      at = now - back;
    } else {
      at = parseRfc3339(text);
    }
  }
  if (!at) {
    return ParamProblem{name,
                        "expected a duration back from now (30m, 24h, 7d) or an RFC 3339 time "
                        "(2022-11-16T11:26:28+09:00)"};
  }
  if (*at < kEarliestTime || *at >= kLatestTime) {
    return ParamProblem{name, "expected a time between 1970 and 9999"};
  }
  return *at;
}

struct MinuteSpan {
  Timestamp from, to;
};

std::variant<MinuteSpan, ParamProblem> parseSpan(const QueryParams& params, Timestamp now) {
  if (auto problem = params.rejectUnknown({"from", "to"})) return *problem;
  MinuteSpan span{now - kDefaultMinuteSpan, now};
  if (const std::string* to = params.find("to")) {
    auto parsed = parseTimeParam("to", *to, now);
    if (auto* problem = std::get_if<ParamProblem>(&parsed)) return *problem;
    span.to = std::get<Timestamp>(parsed);
    span.from = span.to - kDefaultMinuteSpan;
  }
  if (const std::string* from = params.find("from")) {
    auto parsed = parseTimeParam("from", *from, now);
    if (auto* problem = std::get_if<ParamProblem>(&parsed)) return *problem;
    span.from = std::get<Timestamp>(parsed);
  }
  if (span.from >= span.to) return ParamProblem{"from", "expected a time before `to`"};
  if (span.to - span.from > kMaxMinuteSpan) {
    return ParamProblem{"from", "the span from `from` to `to` is at most " +
                                    formatDuration(kMaxMinuteSpan) + "; ask in several parts"};
  }
  return span;
}

Json minuteJson(const MinuteCounts& c, const TimeZone& zone) {
  return {{"t", timeIn(zone, c.minute)},
          {"requests", c.requests},
          {"failures", c.failures},
          {"s2xx", c.s2xx},
          {"s3xx", c.s3xx},
          {"s4xx", c.s4xx},
          {"s5xx", c.s5xx},
          {"s502", c.s502},
          {"s503", c.s503},
          {"s504", c.s504}};
}

}  // namespace

HttpResponse serveSourceList(HistoryReader& history, const HttpRequest& request, Timestamp now,
                             const TimeZone& zone) {
  if (auto problem = request.query.rejectUnknown({})) return badParameter(*problem);
  auto store = history.minutes();
  if (!store) return unavailable(store.error());
  auto summaries = (*store)->sources(now);
  if (!summaries) {
    spdlog::warn("status server: reading the per-minute counters failed: {}",
                 summaries.error().message);
    history.reset();
    return unavailable(
        Error{"reading the per-minute counters failed: " + summaries.error().message});
  }
  Json sources = Json::array();
  for (const SourceSummary& s : *summaries) {
    sources.push_back({{"name", s.source},
                       {"first_minute", timeIn(zone, s.first_minute)},
                       {"last_minute", timeIn(zone, s.last_minute)},
                       {"requests_24h", s.requests_24h},
                       {"failures_24h", s.failures_24h}});
  }
  HttpResponse response;
  response.body = dumpJson({{"sources", std::move(sources)}, {"zone", zoneJson(zone, now)}});
  return response;
}

HttpResponse serveSourceMinutes(HistoryReader& history, const HttpRequest& request, Timestamp now,
                                const TimeZone& zone) {
  auto parsed = parseSpan(request.query, now);
  if (auto* problem = std::get_if<ParamProblem>(&parsed)) return badParameter(*problem);
  const MinuteSpan span = std::get<MinuteSpan>(parsed);
  const std::string& name = request.pathParam("name");
  if (name.empty() || name.size() > kMaxSourceNameBytes) {
    return jsonError(404, "no source with this name (names are 1 to " +
                              std::to_string(kMaxSourceNameBytes) + " bytes)");
  }

  auto store = history.minutes();
  if (!store) return unavailable(store.error());
  // The minute `from` falls in overlaps the span: it is read from its start.
  const Timestamp first = std::chrono::floor<std::chrono::minutes>(span.from);
  auto minutes = (*store)->read(name, first, span.to);
  if (!minutes) {
    spdlog::warn("status server: reading the per-minute counters failed: {}",
                 minutes.error().message);
    history.reset();
    return unavailable(Error{"reading the per-minute counters failed: " + minutes.error().message});
  }
  Json points = Json::array();
  for (const MinuteCounts& c : *minutes) points.push_back(minuteJson(c, zone));
  HttpResponse response;
  response.body = dumpJson({{"source", name},
                            {"from", timeIn(zone, span.from)},
                            {"to", timeIn(zone, span.to)},
                            {"step_seconds", 60},
                            {"minutes", std::move(points)},
                            {"zone", zoneJson(zone, span.to)}});
  return response;
}

}  // namespace gw
