// Alertmanager's two shapes: the webhook body Alertmanager itself sends to receivers (version
// "4"), for receivers written for Alertmanager, and the body of POST /api/v2/alerts, for an
// Alertmanager that routes, groups and deduplicates a fleet's alerts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "alert/render.h"
#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

using Json = nlohmann::ordered_json;
using Labels = std::map<std::string, std::string>;  // sorted by name, as Alertmanager keeps them

constexpr std::string_view kWebhookVersion = "4";
// Alertmanager's webhook sends Go's zero time as the endsAt of a firing alert.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";
// The context annotation: a few lines for a glance in Alertmanager's UI and the receivers it
// feeds; the webhook shape carries every line in "context".
// Two lines of each kind, each cut to kExcerptLineChars, fit in kExcerptChars whole.
constexpr std::size_t kExcerptAccessLines = 2;  // the newest, nearest the trigger
constexpr std::size_t kExcerptErrorLines = 2;   // the first, which usually say why
constexpr std::size_t kExcerptLineChars = 240;
constexpr std::size_t kExcerptChars = 1000;

// prometheus/common model.LabelSet.Fingerprint: FNV-1a 64 over the sorted names and values, each
// followed by the separator byte 0xff (which no UTF-8 text contains).
std::string fingerprint(const Labels& labels) {
  constexpr uint64_t kOffset = 14695981039346656037ULL;
  constexpr uint64_t kPrime = 1099511628211ULL;
  constexpr unsigned char kSeparator = 0xFF;
  uint64_t hash = kOffset;
  const auto add = [&](unsigned char byte) {
    hash ^= byte;
    hash *= kPrime;
  };
  for (const auto& [name, value] : labels) {
    for (const char c : name) add(static_cast<unsigned char>(c));
    add(kSeparator);
    for (const char c : value) add(static_cast<unsigned char>(c));
    add(kSeparator);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

// A label value as Go's strconv.Quote writes it in a group key.
std::string goQuoted(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// alertname = rule, severity, source, each group key (source, host, upstream, path), instance =
// this server. Values are valid UTF-8 (Alertmanager rejects others); empty ones are left out, as
// Alertmanager treats an empty label as absent.
Labels labelsOf(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  Labels labels;
  const auto set = [&](const std::string& name, std::string_view value) {
    if (!value.empty()) labels[name] = validUtf8(value);
  };
  set("alertname", e.rule);
  set("severity", toString(e.severity));
  set("source", e.source);
  for (const auto& [key, value] : e.group) {
    if (key != "alertname" && key != "severity" && key != "instance") set(key, value);
  }
  set("instance", alert.hostname);
  if (alert.test) set("test", "true");
  return labels;
}

// The group's own labels, as a route grouping by alertname and the rule's group keys has them.
Labels groupLabelsOf(const Alert& alert, const Labels& labels) {
  Labels group;
  const auto copy = [&](const std::string& name) {
    if (auto it = labels.find(name); it != labels.end()) group[name] = it->second;
  };
  copy("alertname");
  for (const auto& kv : alert.event.group) copy(kv.first);
  return group;
}

std::string contextExcerpt(const AlertContext& context) {
  std::string text;
  const std::size_t access_from =
      context.access.size() > kExcerptAccessLines ? context.access.size() - kExcerptAccessLines : 0;
  if (!context.access.empty()) {
    text += "access log:\n";
    for (std::size_t i = access_from; i < context.access.size(); ++i) {
      text += cutUtf8(context.access[i], kExcerptLineChars);
      text += '\n';
    }
  }
  if (!context.error.empty()) {
    text += "error.log:\n";
    for (std::size_t i = 0; i < std::min(context.error.size(), kExcerptErrorLines); ++i) {
      text += cutUtf8(context.error[i], kExcerptLineChars);
      text += '\n';
    }
  }
  if (!text.empty()) text.pop_back();
  return cutUtf8(text, kExcerptChars);
}

Json annotationsOf(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  Labels annotations;
  annotations["summary"] = validUtf8(alert.test ? "🧪 TEST: " + alert.summary : alert.summary);
  annotations["description"] = validUtf8(alert.headline);
  annotations["incident_id"] = validUtf8(e.incident_id);
  annotations["started_at"] = formatRfc3339(e.started_at, e.utc_offset_minutes);
  if (const std::string excerpt = contextExcerpt(alert.context); !excerpt.empty()) {
    annotations["context"] = excerpt;
  }
  return Json(annotations);
}

Json contextJson(const AlertContext& context) {
  Json access = Json::array();
  for (const std::string& line : context.access) access.push_back(validUtf8(line));
  Json error = Json::array();
  for (const std::string& line : context.error) error.push_back(validUtf8(line));
  return Json{{"access", std::move(access)}, {"error", std::move(error)}};
}

std::string dump(const Json& body) {
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string alertmanagerWebhookPayload(const Alert& alert, std::string_view receiver) {
  const IncidentEvent& e = alert.event;
  const int offset = e.utc_offset_minutes;
  const Labels labels = labelsOf(alert);
  const Labels group_labels = groupLabelsOf(alert, labels);
  const Json annotations = annotationsOf(alert);
  const char* status = e.kind == EventKind::kResolved ? "resolved" : "firing";

  std::string group_key = "{}:{";
  for (const auto& [name, value] : group_labels) {
    if (group_key.back() != '{') group_key += ", ";
    group_key += name + "=" + goQuoted(value);
  }
  group_key += "}";

  const Json one{
      {"status", status},
      {"labels", Json(labels)},
      {"annotations", annotations},
      {"startsAt", formatRfc3339(e.fired_at, offset)},
      {"endsAt", e.resolved_at ? formatRfc3339(*e.resolved_at, offset) : std::string(kZeroTime)},
      {"generatorURL", ""},
      {"fingerprint", fingerprint(labels)},
  };
  // Alertmanager's own field order (notify/webhook Message), then gatewatch's context.
  const Json body{
      {"receiver", validUtf8(receiver)},
      {"status", status},
      {"alerts", Json::array({one})},
      {"groupLabels", Json(group_labels)},
      {"commonLabels", Json(labels)},
      {"commonAnnotations", annotations},
      {"externalURL", ""},
      {"version", kWebhookVersion},
      {"groupKey", group_key},
      {"truncatedAlerts", 0},
      {"context", contextJson(alert.context)},
  };
  return dump(body);
}

std::string alertmanagerApiAlerts(const Alert& alert, Timestamp now) {
  const IncidentEvent& e = alert.event;
  const int offset = e.utc_offset_minutes;
  Timestamp ends_at{};
  if (e.resolved_at) {
    ends_at = *e.resolved_at;
  } else {
    // Held kAlertmanagerHold past now, and past startsAt when log time runs ahead of the clock:
    // an endsAt before startsAt is rejected.
    ends_at = std::max(now, e.fired_at) + kAlertmanagerHold;
  }
  const Json one{
      {"labels", Json(labelsOf(alert))},
      {"annotations", annotationsOf(alert)},
      {"startsAt", formatRfc3339(e.fired_at, offset)},
      {"endsAt", formatRfc3339(ends_at, offset)},
  };
  return dump(Json::array({one}));
}

}  // namespace gw
