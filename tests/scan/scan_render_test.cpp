#include "scan/scan_render.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

ScanResult oneIncident() {
  using namespace std::chrono;
  ScanResult r;
  r.lines = 3;
  r.parsed = 3;
  const Timestamp start =
      Timestamp(sys_days(year(2022) / 11 / 16)) + hours(2) + minutes(26) + seconds(28);
  IncidentReport inc;
  inc.fired.incident_id = "abc123";
  inc.fired.rule = "upstream-down";
  inc.fired.source = "site";
  inc.fired.group = {{"source", "site"}};
  inc.fired.started_at = start;
  inc.fired.fired_at = start + seconds(3);
  inc.fired.utc_offset_minutes = 9 * 60;
  inc.fired.top_paths = {{"/\x1b[31mred", 2}};
  inc.first_failure_line = "bad \xff\xfe bytes";
  r.incidents.push_back(inc);
  SourceTimeline tl;
  tl.source = "site";
  tl.utc_offset_minutes = 9 * 60;
  tl.minutes[floor<minutes>(start).time_since_epoch().count()] = MinuteCounts{10, 9, 0, 0};
  r.timelines.push_back(tl);
  return r;
}

TEST(ScanRender, TextShowsStartInTheLogsOwnOffset) {
  const std::string text = renderScanText(oneIncident(), {});
  EXPECT_NE(text.find("2022-11-16 11:26:28 +09:00"), std::string::npos) << text;
  EXPECT_NE(text.find("still failing"), std::string::npos) << text;
}

TEST(ScanRender, ControlBytesFromLogsAreMadeVisibleNotSentToTheTerminal) {
  const std::string text = renderScanText(oneIncident(), {});
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("\\x1B[31mred"), std::string::npos) << text;
}

TEST(ScanRender, JsonIsValidUtf8EvenForInvalidLogBytes) {
  const nlohmann::json j = scanToJson(oneIncident());
  const std::string dumped = j.dump();  // throws on invalid UTF-8
  EXPECT_NE(dumped.find("bad \xEF\xBF\xBD\xEF\xBF\xBD bytes"), std::string::npos) << dumped;
  EXPECT_EQ(j["incidents"][0]["started_at"], "2022-11-16T11:26:28+09:00");
  EXPECT_EQ(j["incidents"][0]["resolved_at"], nullptr);
}

TEST(ScanRender, ColourOnlyWhenAsked) {
  RenderOptions plain;
  RenderOptions colour;
  colour.color = true;
  EXPECT_EQ(renderScanText(oneIncident(), plain).find("\033["), std::string::npos);
  EXPECT_NE(renderScanText(oneIncident(), colour).find("\033[31m"), std::string::npos);
}

}  // namespace
}  // namespace gw
