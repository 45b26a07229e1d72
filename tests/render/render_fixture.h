// The quiet-site incident as an Alert, built by hand: driver-insu-prod's upstream at
// 127.0.0.1:8080 stopped answering after an AMI image was taken, and the third 502 in a row
// fired `upstream-down`. Every renderer test starts from it.
#pragma once

#include <chrono>
#include <string>

#include "alert/alert.h"
#include "common/time.h"

namespace gw::testing {

// 2022-11-16 hh:mm:ss KST (+09:00) as a UTC instant.
inline Timestamp kst(int h, int m, int s) {
  using namespace std::chrono;
  return Timestamp{sys_days{year{2022} / 11 / 16}} + hours(h - 9) + minutes(m) + seconds(s);
}

// One access line in the extended format (combined + upstream fields), as the redactor leaves it
// (enc= values masked).
inline std::string accessLine(const char* client, const char* time, const char* request, int status,
                              int bytes, const char* upstream_time) {
  return std::string(client) + " - - [16/Nov/2022:" + time + " +0900] \"" + request + "\" " +
         std::to_string(status) + " " + std::to_string(bytes) +
         " \"-\" \"Mozilla/5.0 (iPhone; CPU iPhone OS 16_1 like Mac OS X)\" " + upstream_time +
         " " + upstream_time + " \"127.0.0.1:8080\" " + std::to_string(status);
}

inline Alert quietSiteIncident() {
  Alert a;
  IncidentEvent& e = a.event;
  e.incident_id = "9c1f4e2a7b3d5e60";
  e.kind = EventKind::kFiring;
  e.rule = "upstream-down";
  e.rule_kind = RuleKind::kConsecutive;
  e.severity = Severity::kCritical;
  e.source = "driver-insu-prod";
  e.group = {{"source", "driver-insu-prod"}, {"upstream", "127.0.0.1:8080"}};
  e.started_at = kst(11, 26, 28);
  e.fired_at = kst(11, 27, 9);
  e.event_at = e.fired_at;
  e.utc_offset_minutes = 9 * 60;
  e.window = std::chrono::seconds(60);
  e.stats.requests = 3;
  e.stats.errors = 3;
  e.stats.by_status = {{502, 3}};
  e.peak = e.stats;
  e.peak_at = e.fired_at;
  e.top_paths = {{"/join/user-form", 2}, {"/api/v1/quote", 1}};
  e.upstreams = {{"127.0.0.1:8080", 3}};
  e.detail = "3 consecutive failures";
  e.sinks = {"ops-slack", "pager"};

  a.hostname = "ip-172-31-20-17";
  a.summary = "3 requests in a row failed with 502 Bad Gateway within 41s";
  a.headline = "🔴 502 Bad Gateway on 3 requests in a row — driver-insu-prod — since 11:26:28 (KST)";
  a.zone_label = "KST";
  a.context.access = {
      accessLine("203.0.113.24", "11:06:12", "GET /join/user-form?enc=*** HTTP/1.1", 200, 5120,
                 "0.041"),
      accessLine("203.0.113.24", "11:06:40", "POST /api/v1/quote?enc=*** HTTP/1.1", 200, 812,
                 "0.118"),
      accessLine("198.51.100.7", "11:26:28", "GET /join/user-form?enc=*** HTTP/1.1", 502, 157,
                 "0.000"),
      accessLine("198.51.100.7", "11:26:51", "GET /join/user-form?enc=*** HTTP/1.1", 502, 157,
                 "0.000"),
      accessLine("198.51.100.7", "11:27:09", "POST /api/v1/quote?enc=*** HTTP/1.1", 502, 157,
                 "0.001"),
  };
  const auto refused = [](const char* time, const char* conn, const char* request,
                          const char* path) {
    return std::string("2022/11/16 ") + time + " [error] 1187#1187: *" + conn +
           " connect() failed (111: Connection refused) while connecting to upstream, client: "
           "198.51.100.7, server: insu.example.com, request: \"" +
           request + "\", upstream: \"http://127.0.0.1:8080" + path +
           "\", host: \"insu.example.com\"";
  };
  a.context.error = {
      refused("11:26:28", "40211", "GET /join/user-form?enc=*** HTTP/1.1",
              "/join/user-form?enc=***"),
      refused("11:26:51", "40215", "GET /join/user-form?enc=*** HTTP/1.1",
              "/join/user-form?enc=***"),
      refused("11:27:09", "40219", "POST /api/v1/quote?enc=*** HTTP/1.1", "/api/v1/quote?enc=***"),
  };
  return a;
}

// The same incident, resolved at 11:41:30 after the application came back.
inline Alert quietSiteResolved() {
  Alert a = quietSiteIncident();
  IncidentEvent& e = a.event;
  e.kind = EventKind::kResolved;
  e.resolved_at = kst(11, 41, 30);
  e.event_at = *e.resolved_at;
  e.stats.requests = 2;  // 11:40:31 and 11:41:30, in the last minute
  e.stats.errors = 0;
  e.stats.by_status = {{200, 2}};
  a.summary = "resolved after 15m 2s: 3 requests in a row failed with 502 Bad Gateway";
  // The composer's lines up to the resolution: the last failures, then the healthy requests.
  a.context.access.erase(a.context.access.begin(), a.context.access.begin() + 2);
  a.context.access.push_back(accessLine(
      "203.0.113.90", "11:39:28", "GET /join/user-form?enc=*** HTTP/1.1", 200, 5120, "0.052"));
  a.context.access.push_back(accessLine(
      "203.0.113.90", "11:40:31", "GET /join/user-form?enc=*** HTTP/1.1", 200, 5120, "0.047"));
  a.context.access.push_back(accessLine("203.0.113.90", "11:41:30",
                                        "POST /api/v1/quote?enc=*** HTTP/1.1", 200, 812, "0.131"));
  a.headline =
      "✅ Resolved: 502 Bad Gateway — driver-insu-prod — lasted 15m 2s (since 11:26:28 KST)";
  return a;
}

}  // namespace gw::testing
