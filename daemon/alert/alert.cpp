// The stored form of an Alert: every field, times as integer milliseconds since the epoch (exact,
// no parsing of offsets), the group as ordered pairs, under "stored_version" so a later gatewatch
// can still read what an older one queued. Reading checks every type and names the field.
#include "alert/alert.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "alert/compose.h"

namespace gw {
namespace {

using Json = nlohmann::json;

// The version this gatewatch writes and reads. A newer one is refused (its fields may mean
// something else); older ones, once there are any, are upgraded here.
constexpr int64_t kStoredVersion = 1;

int64_t millis(Timestamp t) { return t.time_since_epoch().count(); }
Timestamp fromMillis(int64_t ms) { return Timestamp(Millis(ms)); }

Json statsJson(const WindowStats& stats) {
  Json by_status = Json::object();
  for (const auto& [status, count] : stats.by_status) by_status[std::to_string(status)] = count;
  return {{"requests", stats.requests}, {"errors", stats.errors}, {"by_status", by_status}};
}

Json countsJson(const std::vector<NamedCount>& counts) {
  Json out = Json::array();
  for (const NamedCount& c : counts) out.push_back({{"name", c.name}, {"count", c.count}});
  return out;
}

Json eventJson(const IncidentEvent& e) {
  Json group = Json::array();
  for (const auto& [key, value] : e.group) group.push_back(Json::array({key, value}));
  return {
      {"incident_id", e.incident_id},
      {"kind", toString(e.kind)},
      {"rule", e.rule},
      {"rule_kind", toString(e.rule_kind)},
      {"severity", toString(e.severity)},
      {"source", e.source},
      {"group", group},
      {"started_at_ms", millis(e.started_at)},
      {"fired_at_ms", millis(e.fired_at)},
      {"resolved_at_ms", e.resolved_at ? Json(millis(*e.resolved_at)) : Json(nullptr)},
      {"event_at_ms", millis(e.event_at)},
      {"utc_offset_minutes", e.utc_offset_minutes},
      {"window_ms", e.window.count()},
      {"stats", statsJson(e.stats)},
      {"peak", statsJson(e.peak)},
      {"peak_at_ms", millis(e.peak_at)},
      {"top_paths", countsJson(e.top_paths)},
      {"upstreams", countsJson(e.upstreams)},
      {"detail", e.detail},
      {"sinks", e.sinks},
  };
}

const char* typeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "a whole number";
    case Json::value_t::number_float:
      return "a decimal number";
    default:
      return "something else";
  }
}

// Reads typed fields; the first problem is kept with the field's path ("event.stats.requests").
class Reader {
 public:
  bool failed() const { return !problem_.empty(); }
  const std::string& problem() const { return problem_; }

  const Json* member(const Json& object, std::string_view name, const std::string& path) {
    if (failed()) return nullptr;
    const auto it = object.find(name);
    if (it == object.end()) {
      fail(path + " is missing");
      return nullptr;
    }
    return &*it;
  }

  bool expect(const Json* j, bool ok, const std::string& path, std::string_view wanted) {
    if (j == nullptr || failed()) return false;
    if (!ok) fail(path + " is " + typeName(*j) + ", expected " + std::string(wanted));
    return ok;
  }

  const Json* object(const Json& parent, std::string_view name, const std::string& path) {
    const Json* j = member(parent, name, path);
    return expect(j, j != nullptr && j->is_object(), path, "an object") ? j : nullptr;
  }
  const Json* array(const Json& parent, std::string_view name, const std::string& path) {
    const Json* j = member(parent, name, path);
    return expect(j, j != nullptr && j->is_array(), path, "a list") ? j : nullptr;
  }
  std::string string(const Json& parent, std::string_view name, const std::string& path) {
    const Json* j = member(parent, name, path);
    return expect(j, j != nullptr && j->is_string(), path, "a string") ? j->get<std::string>()
                                                                       : std::string();
  }
  bool boolean(const Json& parent, std::string_view name, const std::string& path) {
    const Json* j = member(parent, name, path);
    return expect(j, j != nullptr && j->is_boolean(), path, "true or false") && j->get<bool>();
  }
  uint64_t count(const Json& parent, std::string_view name, const std::string& path) {
    const Json* j = member(parent, name, path);
    return expect(j, j != nullptr && j->is_number_unsigned(), path, "a whole number >= 0")
               ? j->get<uint64_t>()
               : 0;
  }
  int64_t integer(const Json& parent, std::string_view name, const std::string& path,
                  int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max()) {
    const Json* j = member(parent, name, path);
    if (!expect(j, j != nullptr && j->is_number_integer(), path, "a whole number")) return 0;
    // Unsigned values above int64's range are not is_number_integer's concern: check both.
    if (j->is_number_unsigned() && j->get<uint64_t>() > uint64_t(max)) {
      fail(path + " is " + std::to_string(j->get<uint64_t>()) + ", out of range");
      return 0;
    }
    const int64_t v = j->get<int64_t>();
    if (v < min || v > max) {
      fail(path + " is " + std::to_string(v) + ", out of range");
      return 0;
    }
    return v;
  }
  std::vector<std::string> strings(const Json& parent, std::string_view name,
                                   const std::string& path) {
    std::vector<std::string> out;
    const Json* list = array(parent, name, path);
    if (list == nullptr) return out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& item = (*list)[i];
      const std::string at = path + "[" + std::to_string(i) + "]";
      if (!expect(&item, item.is_string(), at, "a string")) return out;
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  void fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }

 private:
  std::string problem_;
};

template <class Enum, std::size_t N>
Enum enumFrom(Reader& r, const std::string& text, const Enum (&values)[N],
              const std::string& path) {
  for (Enum v : values) {
    if (text == toString(v)) return v;
  }
  if (!r.failed()) {
    std::string known;
    for (Enum v : values) known += std::string(known.empty() ? "" : ", ") + toString(v);
    r.fail(path + " is '" + text + "', expected one of " + known);
  }
  return values[0];
}

WindowStats readStats(Reader& r, const Json& parent, std::string_view name,
                      const std::string& path) {
  WindowStats stats;
  const Json* j = r.object(parent, name, path);
  if (j == nullptr) return stats;
  stats.requests = r.count(*j, "requests", path + ".requests");
  stats.errors = r.count(*j, "errors", path + ".errors");
  const std::string by_path = path + ".by_status";
  const Json* by = r.object(*j, "by_status", by_path);
  if (by == nullptr) return stats;
  for (const auto& [key, value] : by->items()) {
    const std::string at = by_path + "." + key;
    uint64_t status = 0;
    bool digits = !key.empty() && key.size() <= 3;
    for (char c : key) digits = digits && c >= '0' && c <= '9';
    if (digits) status = std::stoull(key);
    if (!digits || status > 999) {
      r.fail(at + ": '" + key + "' is not an HTTP status");
      return stats;
    }
    if (!r.expect(&value, value.is_number_unsigned(), at, "a whole number >= 0")) return stats;
    stats.by_status[static_cast<uint16_t>(status)] = value.get<uint64_t>();
  }
  return stats;
}

std::vector<NamedCount> readCounts(Reader& r, const Json& parent, std::string_view name,
                                   const std::string& path) {
  std::vector<NamedCount> out;
  const Json* list = r.array(parent, name, path);
  if (list == nullptr) return out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!r.expect(&item, item.is_object(), at, "an object")) return out;
    NamedCount c;
    c.name = r.string(item, "name", at + ".name");
    c.count = r.count(item, "count", at + ".count");
    out.push_back(std::move(c));
  }
  return out;
}

IncidentEvent readEvent(Reader& r, const Json& j) {
  static constexpr EventKind kKinds[] = {EventKind::kFiring, EventKind::kReminder,
                                         EventKind::kResolved};
  static constexpr RuleKind kRuleKinds[] = {RuleKind::kRatio, RuleKind::kConsecutive,
                                            RuleKind::kBurnRate, RuleKind::kErrorLog,
                                            RuleKind::kSilence};
  static constexpr Severity kSeverities[] = {Severity::kInfo, Severity::kWarning,
                                             Severity::kCritical};
  IncidentEvent e;
  e.incident_id = r.string(j, "incident_id", "event.incident_id");
  e.kind = enumFrom(r, r.string(j, "kind", "event.kind"), kKinds, "event.kind");
  e.rule = r.string(j, "rule", "event.rule");
  e.rule_kind =
      enumFrom(r, r.string(j, "rule_kind", "event.rule_kind"), kRuleKinds, "event.rule_kind");
  e.severity =
      enumFrom(r, r.string(j, "severity", "event.severity"), kSeverities, "event.severity");
  e.source = r.string(j, "source", "event.source");
  if (const Json* group = r.array(j, "group", "event.group")) {
    for (std::size_t i = 0; i < group->size(); ++i) {
      const Json& pair = (*group)[i];
      const std::string at = "event.group[" + std::to_string(i) + "]";
      const bool ok =
          pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string();
      if (!r.expect(&pair, ok, at, "a [key, value] pair of strings")) break;
      e.group.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  e.started_at = fromMillis(r.integer(j, "started_at_ms", "event.started_at_ms"));
  e.fired_at = fromMillis(r.integer(j, "fired_at_ms", "event.fired_at_ms"));
  if (const Json* resolved = r.member(j, "resolved_at_ms", "event.resolved_at_ms");
      resolved != nullptr && !resolved->is_null()) {
    e.resolved_at = fromMillis(r.integer(j, "resolved_at_ms", "event.resolved_at_ms"));
  }
  e.event_at = fromMillis(r.integer(j, "event_at_ms", "event.event_at_ms"));
  e.utc_offset_minutes = static_cast<int16_t>(
      r.integer(j, "utc_offset_minutes", "event.utc_offset_minutes", -24 * 60, 24 * 60));
  e.window = Millis(r.integer(j, "window_ms", "event.window_ms", 0));
  e.stats = readStats(r, j, "stats", "event.stats");
  e.peak = readStats(r, j, "peak", "event.peak");
  e.peak_at = fromMillis(r.integer(j, "peak_at_ms", "event.peak_at_ms"));
  e.top_paths = readCounts(r, j, "top_paths", "event.top_paths");
  e.upstreams = readCounts(r, j, "upstreams", "event.upstreams");
  e.detail = r.string(j, "detail", "event.detail");
  e.sinks = r.strings(j, "sinks", "event.sinks");
  return e;
}

}  // namespace

std::string toStoredJson(const Alert& alert) {
  const Json j = {
      {"stored_version", kStoredVersion},
      {"event", eventJson(alert.event)},
      {"hostname", alert.hostname},
      {"summary", alert.summary},
      {"headline", alert.headline},
      {"zone_label", alert.zone_label},
      {"context", {{"access", alert.context.access}, {"error", alert.context.error}}},
      {"test", alert.test},
  };
  // Composed alerts hold valid UTF-8 only; should a byte slip through, it is replaced rather
  // than failing the whole notification.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Alert> alertFromStoredJson(std::string_view json) {
  const Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{"stored alert: not valid JSON"};
  if (!j.is_object()) return Error{std::string("stored alert: ") + typeName(j) + ", not an object"};
  Reader r;
  const int64_t version = r.integer(j, "stored_version", "stored_version");
  if (r.failed()) return Error{"stored alert: " + r.problem()};
  if (version != kStoredVersion) {
    return Error{"stored alert: stored_version " + std::to_string(version) +
                 " is not one this gatewatch reads (" + std::to_string(kStoredVersion) +
                 "): was the state database written by a newer version?"};
  }
  Alert alert;
  if (const Json* event = r.object(j, "event", "event")) alert.event = readEvent(r, *event);
  alert.hostname = r.string(j, "hostname", "hostname");
  alert.summary = r.string(j, "summary", "summary");
  alert.headline = r.string(j, "headline", "headline");
  alert.zone_label = r.string(j, "zone_label", "zone_label");
  if (const Json* context = r.object(j, "context", "context")) {
    alert.context.access = r.strings(*context, "access", "context.access");
    alert.context.error = r.strings(*context, "error", "context.error");
  }
  alert.test = r.boolean(j, "test", "test");
  if (r.failed()) return Error{"stored alert: field " + r.problem()};
  return alert;
}

Alert mergeQueued(const Alert& queued, const Alert& newer) {
  Alert merged = newer;
  const EventKind before = queued.event.kind;
  const EventKind after = newer.event.kind;
  if (after == EventKind::kReminder && before == EventKind::kFiring) {
    // The receiver has not heard of the incident yet: it is news, with today's figures.
    merged.event.kind = EventKind::kFiring;
  }
  if (after == EventKind::kResolved && before != EventKind::kResolved) {
    // The only message the receiver will get about this incident: keep the failing requests as
    // its evidence (the newer lines are the healthy ones that resolved it); the error.log lines
    // already span the whole incident.
    if (!queued.context.access.empty()) merged.context.access = queued.context.access;
    if (merged.event.fired_at == Timestamp{}) merged.event.fired_at = queued.event.fired_at;
  }
  if (merged.event.kind != after && !merged.test) {
    merged.summary = summarize(merged.event);
    merged.headline = headline(merged.event, merged.zone_label, merged.test);
  }
  return merged;
}

}  // namespace gw
