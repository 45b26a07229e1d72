// webhookPayload: gatewatch's own JSON (version 1), the shape product.md documents, for receivers
// that want every figure of the incident.
#include <cmath>
#include <nlohmann/json.hpp>

#include "alert/render.h"
#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

using Json = nlohmann::ordered_json;  // keys in the documented order, for people reading it

constexpr int kPayloadVersion = 1;
// Ratios are rounded to this many decimals: 0.9625, not 0.96250000000000002.
constexpr double kRatioScale = 10'000.0;

double roundedRatio(const WindowStats& stats) {
  return std::round(stats.ratio() * kRatioScale) / kRatioScale;
}

// Whole seconds as an integer; a sub-second window ("500ms") as a fraction.
Json seconds(Millis d) {
  if (d.count() % 1000 == 0) return Json(static_cast<int64_t>(d.count() / 1000));
  return Json(static_cast<double>(d.count()) / 1000.0);
}

Json statsJson(const WindowStats& stats) {
  Json by_status = Json::object();
  for (const auto& [status, count] : stats.by_status) {
    // Status 0 holds the statuses the window did not keep apart.
    by_status[status == 0 ? std::string("other") : std::to_string(status)] = count;
  }
  return Json{{"requests", stats.requests},
              {"errors", stats.errors},
              {"ratio", roundedRatio(stats)},
              {"by_status", std::move(by_status)}};
}

Json namedCounts(const std::vector<NamedCount>& counts, const char* name_key) {
  Json out = Json::array();
  for (const NamedCount& c : counts)
    out.push_back(Json{{name_key, validUtf8(c.name)}, {"count", c.count}});
  return out;
}

Json lines(const std::vector<std::string>& text) {
  Json out = Json::array();
  for (const std::string& line : text) out.push_back(validUtf8(line));
  return out;
}

}  // namespace

std::string webhookPayload(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  const int offset = e.utc_offset_minutes;
  Json group = Json::object();
  for (const auto& [key, value] : e.group) group[validUtf8(key)] = validUtf8(value);

  Json peak = statsJson(e.peak);
  peak["at"] = formatRfc3339(e.peak_at, offset);

  const Json body{
      {"version", kPayloadVersion},
      {"id", validUtf8(e.incident_id)},
      {"event", toString(e.kind)},
      {"rule", validUtf8(e.rule)},
      {"kind", toString(e.rule_kind)},
      {"severity", toString(e.severity)},
      {"source", validUtf8(e.source)},
      {"group", std::move(group)},
      {"host", validUtf8(alert.hostname)},
      {"started_at", formatRfc3339(e.started_at, offset)},
      {"fired_at", formatRfc3339(e.fired_at, offset)},
      {"resolved_at", e.resolved_at ? Json(formatRfc3339(*e.resolved_at, offset)) : Json(nullptr)},
      {"duration_seconds",
       e.resolved_at ? Json(std::chrono::floor<std::chrono::seconds>(incidentDuration(e)).count())
                     : Json(nullptr)},
      {"window_seconds", seconds(e.window)},
      {"stats", statsJson(e.stats)},
      {"peak", std::move(peak)},
      {"top_paths", namedCounts(e.top_paths, "path")},
      {"upstreams", namedCounts(e.upstreams, "addr")},
      {"context",
       Json{{"access", lines(alert.context.access)}, {"error", lines(alert.context.error)}}},
      {"summary", validUtf8(alert.summary)},
      {"test", alert.test},
  };
  // Every string is valid UTF-8 already; `replace` keeps dump() from ever throwing.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gw
