// Alerts for the delivery tests: the quiet-site incident (three 502s from a dead upstream), built
// by hand so that delivery is tested apart from composing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "alert/alert.h"

namespace gw::testing {

inline Alert incidentAlert(const std::string& id, EventKind kind, Timestamp now,
                           std::vector<std::string> sinks = {}) {
  using namespace std::chrono_literals;
  Alert alert;
  IncidentEvent& e = alert.event;
  e.incident_id = id;
  e.kind = kind;
  e.rule = "upstream-down";
  e.rule_kind = RuleKind::kConsecutive;
  e.severity = Severity::kCritical;
  e.source = "driver-insu-prod";
  e.group = {{"source", "driver-insu-prod"}, {"upstream", "127.0.0.1:8080"}};
  e.started_at = now - 2min;
  e.fired_at = now - 1min;
  e.event_at = now;
  if (kind == EventKind::kResolved) e.resolved_at = now;
  e.utc_offset_minutes = 540;
  e.window = 30min;
  e.stats.requests = 3;
  e.stats.errors = 3;
  e.stats.by_status = {{502, 3}};
  e.peak = e.stats;
  e.peak_at = e.fired_at;
  e.top_paths = {{"/join/user-form", 3}};
  e.upstreams = {{"127.0.0.1:8080", 3}};
  e.detail = "3 consecutive failures";
  e.sinks = std::move(sinks);
  alert.hostname = "insu-web-01";
  alert.summary = "3 requests in a row failed with 502 Bad Gateway";
  alert.headline = "🔴 502 Bad Gateway — driver-insu-prod — since 11:26:28 (KST)";
  alert.zone_label = "KST";
  alert.context.access = {
      R"(10.0.0.7 - - [16/Nov/2022:11:26:28 +0900] "GET /join/user-form?enc=*** HTTP/1.1" 502 157 "-" "Mozilla/5.0" 127.0.0.1:8080 502)"};
  alert.context.error = {
      "2022/11/16 11:26:28 [error] 811#811: *5 connect() failed (111: Connection refused) while "
      "connecting to upstream, client: 10.0.0.7, server: _, request: \"GET /join/user-form?enc=*** "
      "HTTP/1.1\", upstream: \"http://127.0.0.1:8080/join/user-form\""};
  return alert;
}

}  // namespace gw::testing
