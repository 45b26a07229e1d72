// consoleAlertText: the block `gatewatch run` prints on stdout when the config has no sinks. It
// must read well (headline, summary, times in the alert's zone, group, paths, then the log lines)
// and must never let a byte from a log act on the terminal.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "alert/render.h"

namespace gw {
namespace {

using namespace std::chrono;

// 2022-11-16 hh:mm:ss KST (+09:00) as a UTC instant.
Timestamp kst(int h, int m, int s) {
  return Timestamp{sys_days{year{2022} / 11 / 16}} + hours(h - 9) + minutes(m) + seconds(s);
}

// The quiet-site incident: the upstream behind nginx stopped answering, the third 502 in a row
// fired `upstream-down`.
Alert firing() {
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
  e.window = seconds(60);
  e.stats.requests = 3;
  e.stats.errors = 3;
  e.stats.by_status = {{502, 3}};
  e.top_paths = {{"/join/user-form", 2}, {"/api/v1/quote", 1}};
  e.upstreams = {{"127.0.0.1:8080", 3}};
  a.hostname = "ip-172-31-20-17";
  a.summary = "3 requests in a row failed with 502 Bad Gateway within 41s";
  a.headline = "🔴 502 Bad Gateway on 3 requests in a row — driver-insu-prod — since 11:26:28 (KST)";
  a.zone_label = "KST";
  a.context.access = {
      "198.51.100.7 - - [16/Nov/2022:11:26:28 +0900] \"GET /join/user-form?enc=*** HTTP/1.1\" "
      "502 157 \"-\" \"Mozilla/5.0\"",
      "198.51.100.7 - - [16/Nov/2022:11:27:09 +0900] \"POST /api/v1/quote?enc=*** HTTP/1.1\" "
      "502 157 \"-\" \"Mozilla/5.0\""};
  a.context.error = {
      "2022/11/16 11:26:28 [error] 1187#1187: *40211 connect() failed (111: Connection "
      "refused) while connecting to upstream, client: 198.51.100.7"};
  return a;
}

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Nothing below 0x20 but '\n', no DEL, no ESC, no C1 control as UTF-8 (C2 80..C2 9F).
void expectTerminalSafe(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    ASSERT_TRUE(c >= 0x20 || c == '\n') << "control byte 0x" << std::hex << int(c) << " at " << i;
    ASSERT_NE(c, 0x7F) << "DEL at " << i;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      ASSERT_FALSE(next >= 0x80 && next <= 0x9F) << "C1 control at " << i;
    }
  }
  EXPECT_EQ(text.find("\xE2\x80\xAE"), std::string::npos) << "U+202E right-to-left override";
}

TEST(ConsoleAlertText, FiringBlockReadsTopToBottom) {
  const std::string text = consoleAlertText(firing());
  const std::size_t title = text.find("=== gatewatch FIRING · upstream-down · critical");
  const std::size_t headline = text.find("🔴 502 Bad Gateway on 3 requests in a row");
  const std::size_t summary = text.find("3 requests in a row failed with 502 Bad Gateway");
  const std::size_t started = text.find("started    2022-11-16 11:26:28 KST");
  const std::size_t fired = text.find("fired      2022-11-16 11:27:09 KST");
  const std::size_t group =
      text.find("group      source=driver-insu-prod, upstream=127.0.0.1:8080");
  const std::size_t paths = text.find("top paths  /join/user-form ×2, /api/v1/quote ×1");
  const std::size_t access = text.find("access log (2 lines):\n    198.51.100.7 - - [16/Nov/2022");
  const std::size_t error = text.find("error.log (1 line):\n    2022/11/16 11:26:28 [error]");
  for (std::size_t at : {title, headline, summary, started, fired, group, paths, access, error})
    ASSERT_NE(at, std::string::npos) << text;
  EXPECT_EQ(title, 0u);
  EXPECT_LT(headline, summary);
  EXPECT_LT(summary, started);
  EXPECT_LT(started, fired);
  EXPECT_LT(fired, group);
  EXPECT_LT(group, paths);
  EXPECT_LT(paths, access);
  EXPECT_LT(access, error);
  EXPECT_NE(text.find("incident 9c1f4e2a7b3d5e60"), std::string::npos);
  EXPECT_NE(text.find("requests   3 in 1m, 3 failed (100%): 502 ×3"), std::string::npos) << text;
  EXPECT_EQ(text.find("resolved"), std::string::npos) << "a firing alert has no resolved time";
  expectTerminalSafe(text);
}

TEST(ConsoleAlertText, EndsWithOneBlankLineAndHasNoneInside) {
  const std::string text = consoleAlertText(firing());
  ASSERT_GE(text.size(), 2u);
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
  // One block per alert, blocks separated by the blank line: a reader (or a script) can split.
  EXPECT_EQ(count(text, "\n\n"), 1u) << text;
}

TEST(ConsoleAlertText, ResolvedSaysWhenAndHowLongInTheAlertsZone) {
  Alert a = firing();
  a.event.kind = EventKind::kResolved;
  a.event.resolved_at = kst(13, 12, 0);
  a.headline = "✅ Resolved: 502 Bad Gateway — driver-insu-prod — lasted 1h 45m";
  a.summary = "resolved after 1h 45m";
  const std::string text = consoleAlertText(a);
  EXPECT_EQ(text.find("=== gatewatch RESOLVED · upstream-down"), 0u) << text;
  EXPECT_NE(text.find("resolved   2022-11-16 13:12:00 KST (lasted 1h 45m 32s)"), std::string::npos)
      << text;
}

TEST(ConsoleAlertText, ReminderAndTestAlertAreMarked) {
  Alert a = firing();
  a.event.kind = EventKind::kReminder;
  EXPECT_EQ(consoleAlertText(a).find("=== gatewatch STILL FIRING · "), 0u);
  a.event.kind = EventKind::kFiring;
  a.test = true;
  EXPECT_EQ(consoleAlertText(a).find("=== gatewatch TEST FIRING · "), 0u);
}

TEST(ConsoleAlertText, GroupValueTheLogsDoNotCarryIsLeftOut) {
  Alert a = firing();
  a.event.group = {{"source", "driver-insu-prod"}, {"upstream", "-"}};
  const std::string text = consoleAlertText(a);
  EXPECT_NE(text.find("group      source=driver-insu-prod\n"), std::string::npos) << text;
}

TEST(ConsoleAlertText, ZoneWithoutANameIsShownAsTheOffset) {
  Alert a = firing();
  a.zone_label.clear();
  EXPECT_NE(consoleAlertText(a).find("started    2022-11-16 11:26:28 +09:00"), std::string::npos);
}

TEST(ConsoleAlertText, AnsiEscapeSequencesInALogLineAreShownNotActedOn) {
  Alert a = firing();
  // Colour, clear screen, set the window title, and an OSC 8 hyperlink: all ESC-led.
  a.context.access = {"1.2.3.4 \"GET /\x1b[31mred\x1b[0m\x1b[2J HTTP/1.1\" 502",
                      "1.2.3.4 \"GET /\x1b]0;owned\x07 HTTP/1.1\" 502",
                      "1.2.3.4 \"GET /\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\ HTTP/1.1\" 502"};
  const std::string text = consoleAlertText(a);
  expectTerminalSafe(text);
  EXPECT_NE(text.find("GET /\\x1b[31mred\\x1b[0m\\x1b[2J HTTP/1.1"), std::string::npos) << text;
  EXPECT_NE(text.find("\\x1b]0;owned\\x07"), std::string::npos) << text;
}

TEST(ConsoleAlertText, NewlineOrCarriageReturnInALineCannotForgeAnotherLine) {
  Alert a = firing();
  a.context.error = {"2022/11/16 11:26:28 [error] x\r=== gatewatch RESOLVED · upstream-down\nfake"};
  const std::string text = consoleAlertText(a);
  expectTerminalSafe(text);
  EXPECT_EQ(text.find("\n=== gatewatch"), std::string::npos) << "a forged title line: " << text;
  EXPECT_EQ(count(text, "\n"), count(consoleAlertText(firing()), "\n"))
      << "the lines of the fixture's block, no more: " << text;
  EXPECT_NE(text.find("x\\x0d=== gatewatch RESOLVED · upstream-down\\x0afake"), std::string::npos)
      << text;
}

TEST(ConsoleAlertText, C1ControlsBidiOverridesAndInvalidBytesAreNamed) {
  Alert a = firing();
  a.context.access = {
      std::string("GET /a\xC2\x9B"
                  "31m /b\xE2\x80\xAE"
                  "cod.exe /c\xFF\xFE\x80 end")};
  const std::string text = consoleAlertText(a);
  expectTerminalSafe(text);
  EXPECT_NE(text.find("GET /a<U+009B>31m /b<U+202E>cod.exe /c\\xff\\xfe\\x80 end"),
            std::string::npos)
      << text;
}

TEST(ConsoleAlertText, EveryByteValueInEveryLogDerivedFieldComesOutSafe) {
  std::string every;
  for (int b = 0; b < 256; ++b) every += static_cast<char>(b);
  Alert a = firing();
  a.event.rule = every;
  a.event.source = every;
  a.event.group = {{every, every}};
  a.event.top_paths = {{every, 1}};
  a.event.upstreams = {{every, 1}};
  a.event.detail = every;
  a.hostname = every;
  a.zone_label = every;
  a.headline = every;
  a.summary = every + "!";
  a.context.access = {every};
  a.context.error = {every};
  expectTerminalSafe(consoleAlertText(a));
}

TEST(ConsoleAlertText, HugeValuesAreCutSoABlockStaysAScreenful) {
  Alert a = firing();
  const std::string huge(100'000, 'p');
  a.event.top_paths = {{"/" + huge, 7}};
  a.event.group = {{"path", "/" + huge}};
  a.headline = huge;
  a.summary = huge + "s";
  a.context.access = {huge};
  const std::string text = consoleAlertText(a);
  EXPECT_LT(text.size(), 4'000u);
  EXPECT_NE(text.find("…"), std::string::npos);
}

TEST(ConsoleAlertText, ManyPathsAreCountedBeyondTheFirstFive) {
  Alert a = firing();
  a.event.top_paths.clear();
  for (int i = 0; i < 8; ++i) a.event.top_paths.push_back({"/p" + std::to_string(i), 8u - i});
  const std::string text = consoleAlertText(a);
  EXPECT_NE(text.find("/p4 ×4, +3 more"), std::string::npos) << text;
  EXPECT_EQ(text.find("/p5"), std::string::npos);
}

}  // namespace
}  // namespace gw
