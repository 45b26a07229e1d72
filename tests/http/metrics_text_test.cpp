// renderMetrics: the Prometheus text format line by line for a small snapshot, and label values
// from configuration and logs escaped whatever they hold.
#include <gtest/gtest.h>

#include <sstream>

#include "http/status_server.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kT0{Millis{1'668'565'588'000}};  // 2022-11-16T02:26:28Z

StatusSnapshot smallSnapshot() {
  StatusSnapshot s;
  s.taken_at = kT0 + 60s;
  s.started_at = kT0;
  s.version = "0.1.0";
  SourceStatus web;
  web.name = "web";
  web.lines_parsed = 10;
  web.lines_malformed = 2;
  web.error_lines = 3;
  web.requests_by_class = {1, 0, 7, 0, 1, 2};
  web.rotations = 1;
  web.last_line_at = kT0 + 1500ms;
  s.sources.push_back(web);
  s.paths.push_back({"web", "/var/log/nginx/access.log", 42});
  SinkStatus ops;
  ops.name = "ops";
  ops.type = "slack";
  ops.delivered = 3;
  ops.retried = 1;
  s.sinks.push_back(ops);
  s.alerts[{"edge-5xx", "firing"}] = 1;
  s.alerts[{"edge-5xx", "resolved"}] = 1;
  s.open_incidents.push_back({});
  s.detector_groups = 4;
  s.skew_clamped = 5;
  s.config_reloads = 2;
  s.config_reload_failures = 1;
  return s;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The samples alone, without HELP and TYPE.
std::vector<std::string> samples(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& line : lines(text)) {
    if (!line.starts_with("#")) out.push_back(line);
  }
  return out;
}

TEST(RenderMetrics, SmallSnapshotGivesExactlyTheseSamples) {
  const std::vector<std::string> expected = {
      R"(gatewatch_build_info{version="0.1.0"} 1)",
      R"(gatewatch_start_time_seconds 1668565588)",
      R"(gatewatch_lines_total{source="web",result="parsed"} 10)",
      R"(gatewatch_lines_total{source="web",result="malformed"} 2)",
      R"(gatewatch_error_lines_total{source="web"} 3)",
      R"(gatewatch_requests_total{source="web",class="1xx"} 0)",
      R"(gatewatch_requests_total{source="web",class="2xx"} 7)",
      R"(gatewatch_requests_total{source="web",class="3xx"} 0)",
      R"(gatewatch_requests_total{source="web",class="4xx"} 1)",
      R"(gatewatch_requests_total{source="web",class="5xx"} 2)",
      R"(gatewatch_requests_total{source="web",class="other"} 1)",
      R"(gatewatch_rotations_total{source="web"} 1)",
      R"(gatewatch_last_line_timestamp_seconds{source="web"} 1668565589.500)",
      R"(gatewatch_source_readable{source="web"} 1)",
      R"(gatewatch_tail_lag_bytes{source="web",path="/var/log/nginx/access.log"} 42)",
      R"(gatewatch_lines_skew_clamped_total 5)",
      R"(gatewatch_detector_groups 4)",
      R"(gatewatch_detector_groups_evicted_total 0)",
      R"(gatewatch_open_incidents 1)",
      R"(gatewatch_alerts_total{rule="edge-5xx",event="firing"} 1)",
      R"(gatewatch_alerts_total{rule="edge-5xx",event="resolved"} 1)",
      R"(gatewatch_deliveries_total{sink="ops",outcome="delivered"} 3)",
      R"(gatewatch_deliveries_total{sink="ops",outcome="retried"} 1)",
      R"(gatewatch_deliveries_total{sink="ops",outcome="failed"} 0)",
      R"(gatewatch_deliveries_total{sink="ops",outcome="expired"} 0)",
      R"(gatewatch_sink_failing{sink="ops"} 0)",
      R"(gatewatch_outbox_pending 0)",
      R"(gatewatch_config_reloads_total{result="success"} 2)",
      R"(gatewatch_config_reloads_total{result="failure"} 1)",
  };
  EXPECT_EQ(samples(renderMetrics(smallSnapshot())), expected);
}

TEST(RenderMetrics, EveryFamilyHasHelpThenTypeBeforeItsSamples) {
  const auto all = lines(renderMetrics(smallSnapshot()));
  std::string family;
  int families = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string& line = all[i];
    if (line.starts_with("# HELP ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      ASSERT_LT(i + 1, all.size());
      EXPECT_TRUE(all[i + 1].starts_with("# TYPE " + family + " ")) << all[i + 1];
      ++families;
      ++i;
      continue;
    }
    EXPECT_TRUE(line.starts_with(family + "{") || line.starts_with(family + " "))
        << line << " outside its family " << family;
  }
  EXPECT_EQ(families, 18);
}

TEST(RenderMetrics, CountersEndInTotalAndGaugesDoNot) {
  for (const std::string& line : lines(renderMetrics(smallSnapshot()))) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.rfind(' ') - 7);
    const std::string type = line.substr(line.rfind(' ') + 1);
    EXPECT_EQ(type == "counter", name.ends_with("_total")) << line;
  }
}

TEST(RenderMetrics, EscapesBackslashQuoteAndNewlineInLabelValues) {
  StatusSnapshot s;
  SourceStatus src;
  src.name = "a\"b\\c\nd";
  s.sources.push_back(src);
  const std::string text = renderMetrics(s);
  EXPECT_NE(text.find(R"(gatewatch_rotations_total{source="a\"b\\c\nd"} 0)"), std::string::npos)
      << text;
}

TEST(RenderMetrics, KeepsUtf8AndReplacesInvalidBytes) {
  StatusSnapshot s;
  s.paths.push_back({"日本", "/logs/ünï\xff.log", 7});
  const std::string text = renderMetrics(s);
  EXPECT_NE(
      text.find("gatewatch_tail_lag_bytes{source=\"日本\",path=\"/logs/ünï\xEF\xBF\xBD.log\"} 7"),
      std::string::npos)
      << text;
}

TEST(RenderMetrics, SourceWithoutALineYetHasNoLastLineSample) {
  StatusSnapshot s;
  SourceStatus src;
  src.name = "quiet";
  src.readable = false;
  s.sources.push_back(src);
  const std::string text = renderMetrics(s);
  EXPECT_EQ(text.find("gatewatch_last_line_timestamp_seconds{"), std::string::npos);
  EXPECT_NE(text.find(R"(gatewatch_source_readable{source="quiet"} 0)"), std::string::npos);
}

TEST(RenderMetrics, TimesBeforeTheEpochKeepTheirSign) {
  StatusSnapshot s;
  s.started_at = Timestamp{Millis{-1500}};
  EXPECT_NE(renderMetrics(s).find("gatewatch_start_time_seconds -1.500\n"), std::string::npos);
}

}  // namespace
}  // namespace gw
