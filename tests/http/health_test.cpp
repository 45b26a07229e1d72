// evaluateHealth: healthy by default, and each reason for 503 on its own, with the body naming it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/status_server.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr Timestamp kNow{Millis{1'668'565'588'000}};

StatusSnapshot healthy() {
  StatusSnapshot s;
  s.taken_at = kNow - 1s;
  s.started_at = kNow - 1h;
  s.version = "0.1.0";
  SourceStatus src;
  src.name = "web";
  src.last_line_at = kNow - 2s;
  src.last_record_at = kNow - 3s;
  s.sources.push_back(src);
  s.paths.push_back({"web", "/var/log/nginx/access.log", 100});
  s.paths.push_back({"web", "/var/log/nginx/access.log.1", 20});
  SinkStatus sink;
  sink.name = "ops";
  sink.type = "slack";
  s.sinks.push_back(sink);
  return s;
}

Json body(const HealthReport& report) { return Json::parse(report.json); }

TEST(Health, HealthySnapshotReportsOkWithEachSourcesLagAndLastLine) {
  const HealthReport report = evaluateHealth(healthy(), kNow);
  EXPECT_TRUE(report.healthy);
  const Json j = body(report);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_TRUE(j["reasons"].empty());
  ASSERT_EQ(j["sources"].size(), 1u);
  EXPECT_EQ(j["sources"][0]["name"], "web");
  EXPECT_EQ(j["sources"][0]["lag_bytes"], 120);
  EXPECT_EQ(j["sources"][0]["paths"].size(), 2u);
  EXPECT_EQ(j["sources"][0]["last_line_at"], "2022-11-16T02:26:26Z");
  EXPECT_EQ(j["sinks"][0]["name"], "ops");
}

TEST(Health, SourceUnreadableLongerThanTheLimitIsUnhealthy) {
  StatusSnapshot s = healthy();
  s.sources[0].readable = false;
  s.sources[0].problem = "permission denied";
  s.sources[0].unreadable_since = kNow - kUnreadableUnhealthyAfter - 5s;
  const HealthReport report = evaluateHealth(s, kNow);
  EXPECT_FALSE(report.healthy);
  const Json j = body(report);
  EXPECT_EQ(j["status"], "unhealthy");
  ASSERT_EQ(j["reasons"].size(), 1u);
  const std::string reason = j["reasons"][0];
  EXPECT_NE(reason.find("web"), std::string::npos) << reason;
  EXPECT_NE(reason.find("permission denied"), std::string::npos) << reason;
  EXPECT_EQ(j["sources"][0]["problem"], "permission denied");
}

TEST(Health, SourceUnreadableBrieflyDuringRotationIsStillHealthy) {
  StatusSnapshot s = healthy();
  s.sources[0].readable = false;
  s.sources[0].unreadable_since = kNow - 5s;
  EXPECT_TRUE(evaluateHealth(s, kNow).healthy);
}

TEST(Health, SourceUnreadableWithoutASinceTimeCountsAsUnhealthy) {
  StatusSnapshot s = healthy();
  s.sources[0].readable = false;
  s.sources[0].problem = "missing";
  EXPECT_FALSE(evaluateHealth(s, kNow).healthy);
}

TEST(Health, AlertWaitingInTheOutboxTooLongIsUnhealthy) {
  StatusSnapshot s = healthy();
  s.sinks[0].pending = 2;
  s.sinks[0].oldest_pending_at = kNow - kOutboxStuckAfter - 1s;
  s.sinks[0].last_error = "HTTP 503";
  const HealthReport report = evaluateHealth(s, kNow);
  EXPECT_FALSE(report.healthy);
  const std::string reason = body(report)["reasons"][0];
  EXPECT_NE(reason.find("sink ops"), std::string::npos) << reason;
  EXPECT_NE(reason.find("HTTP 503"), std::string::npos) << reason;
}

TEST(Health, RecentPendingAlertIsHealthy) {
  StatusSnapshot s = healthy();
  s.sinks[0].pending = 1;
  s.sinks[0].oldest_pending_at = kNow - 30s;
  EXPECT_TRUE(evaluateHealth(s, kNow).healthy);
}

TEST(Health, FailingCheckpointsAreUnhealthy) {
  StatusSnapshot s = healthy();
  s.checkpoints_failing = true;
  const HealthReport report = evaluateHealth(s, kNow);
  EXPECT_FALSE(report.healthy);
  const std::string reason = body(report)["reasons"][0];
  EXPECT_NE(reason.find("checkpoints"), std::string::npos) << reason;
}

TEST(Health, StaleSnapshotMeansAStuckPipeline) {
  StatusSnapshot s = healthy();
  s.taken_at = kNow - kSnapshotStaleAfter - 1s;
  const HealthReport report = evaluateHealth(s, kNow);
  EXPECT_FALSE(report.healthy);
  const std::string reason = body(report)["reasons"][0];
  EXPECT_NE(reason.find("stuck"), std::string::npos) << reason;
}

TEST(Health, EveryReasonIsListed) {
  StatusSnapshot s = healthy();
  s.checkpoints_failing = true;
  s.sources[0].readable = false;
  s.sinks[0].oldest_pending_at = kNow - 1h;
  EXPECT_EQ(body(evaluateHealth(s, kNow))["reasons"].size(), 3u);
}

TEST(Health, HostileNamesStayValidJson) {
  StatusSnapshot s = healthy();
  s.sources[0].name = "a\"b\\\n\xff";
  s.sources[0].readable = false;
  s.sources[0].problem = "\x01\xfe";
  const HealthReport report = evaluateHealth(s, kNow);
  EXPECT_FALSE(Json::parse(report.json, nullptr, false).is_discarded()) << report.json;
}

}  // namespace
}  // namespace gw
