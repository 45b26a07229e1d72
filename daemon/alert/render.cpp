// renderForSink: the HTTP request for one sink, and the text helpers the renderers share.
#include "alert/render.h"

#include <algorithm>
#include <cstdio>

#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

// Sent with every request, so a receiver's logs say who posted.
constexpr std::string_view kUserAgent = "gatewatch/0.1";
// Alertmanager's endpoint for posting alerts, below the sink's base URL.
constexpr std::string_view kAlertmanagerAlertsPath = "/api/v2/alerts";

std::string alertmanagerUrl(std::string_view base) {
  std::string url(base);
  // A base configured as ".../api/v2/alerts" is taken as the endpoint itself.
  if (url.size() >= kAlertmanagerAlertsPath.size() &&
      url.compare(url.size() - kAlertmanagerAlertsPath.size(), kAlertmanagerAlertsPath.size(),
                  kAlertmanagerAlertsPath) == 0) {
    return url;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += kAlertmanagerAlertsPath;
  return url;
}

}  // namespace

HttpPost renderForSink(const ResolvedSink& sink, const Alert& alert,
                       std::string_view idempotency_key, Timestamp now) {
  HttpPost post;
  switch (sink.type) {
    case SinkType::kSlack:
      post.url = sink.url;
      post.body = slackMessage(alert);
      break;
    case SinkType::kWebhook:
      post.url = sink.url;
      post.body = sink.payload == WebhookPayload::kAlertmanager
                      ? alertmanagerWebhookPayload(alert, sink.name)
                      : webhookPayload(alert);
      break;
    case SinkType::kAlertmanager:
      post.url = alertmanagerUrl(sink.url);
      post.body = alertmanagerApiAlerts(alert, now);
      break;
  }
  post.headers.emplace_back("Content-Type", "application/json");
  post.headers.emplace_back("User-Agent", std::string(kUserAgent));
  post.headers.emplace_back("Idempotency-Key", std::string(idempotency_key));
  if (sink.type == SinkType::kWebhook && !sink.secret.empty()) {
    post.headers.emplace_back("X-Gatewatch-Signature", signatureHeader(sink.secret, post.body));
  }
  return post;
}

std::string localDateTime(Timestamp t, int utc_offset_minutes) {
  // "2022-11-16T11:26:28+09:00" → "2022-11-16 11:26:28".
  std::string s =
      formatRfc3339(std::chrono::floor<std::chrono::seconds>(t), utc_offset_minutes).substr(0, 19);
  s[10] = ' ';
  return s;
}

std::string localTime(Timestamp t, int utc_offset_minutes) {
  return localDateTime(t, utc_offset_minutes).substr(11);
}

std::string zoneLabelOf(const Alert& alert) {
  if (!alert.zone_label.empty()) return alert.zone_label;
  const int offset = alert.event.utc_offset_minutes;
  if (offset == 0) return "UTC";
  const int magnitude = offset < 0 ? -offset : offset;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return buf;
}

std::string shortDuration(Millis d) {
  using namespace std::chrono;
  if (d < seconds(1)) return formatDuration(d);
  const auto total = duration_cast<seconds>(d).count();
  const long long parts[] = {total / 86400, total / 3600 % 24, total / 60 % 60, total % 60};
  static constexpr const char* kUnits[] = {"d", "h", "m", "s"};
  std::string out;
  for (std::size_t i = 0; i < std::size(parts); ++i) {
    if (parts[i] == 0) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(parts[i]) + kUnits[i];
  }
  return out;
}

Millis incidentDuration(const IncidentEvent& event) {
  if (!event.resolved_at || *event.resolved_at < event.started_at) return Millis{0};
  return *event.resolved_at - event.started_at;
}

}  // namespace gw
