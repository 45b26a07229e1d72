// AlertComposer and the words of an alert: the incident replayed through a real parser and
// detector, summaries and headlines for every rule kind and event, zone labels, cutting.
#include "alert/compose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/utf8.h"
#include "detect/detector.h"
#include "incident_lines.h"
#include "parse/error_line_parser.h"
#include "parse/log_format.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int kKstMinutes = 9 * 60;

Timestamp kst(int h, int m, int s, int day = 16) {
  return Timestamp(std::chrono::sys_days(std::chrono::year(2022) / 11 / day)) +
         std::chrono::hours(h - 9) + std::chrono::minutes(m) + std::chrono::seconds(s);
}

bool haveTzdata() { return std::filesystem::exists("/usr/share/zoneinfo/Asia/Seoul"); }

TimeZone seoul() {
  auto zone = TimeZone::load("Asia/Seoul");
  return zone.ok() ? std::move(zone).value() : TimeZone::utc();
}

std::size_t codePoints(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); i += decodeUtf8(text, i).length) ++n;
  return n;
}

// ---- the incident ----

// The seed's 502 line with its time changed: the same request, retried by the customer later.
std::string at(std::string line, std::string_view clock) {
  const std::size_t colon = line.find("2022:") + 5;
  return line.replace(colon, 8, clock);
}

std::string errorLine(std::string_view clock, std::string_view token) {
  return "2022/11/16 " + std::string(clock) +
         " [error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting "
         "to upstream, client: 223.39.250.204, server: toggle-driver-insu.simgbiz.net, request: "
         "\"GET /join/user-form?enc=" +
         std::string(token) +
         " HTTP/1.1\", upstream: \"http://127.0.0.1:8080/join/user-form?enc=" + std::string(token) +
         "\", host: \"toggle-driver-insu.simgbiz.net\"";
}

// The incident's server: nginx in front of the insurance API, combined format, +09:00, a
// request every few minutes, the default rules, an error.log.
class IncidentServer {
 public:
  IncidentServer()
      : parser_(LogFormat::compile("combined").value()),
        errors_(seoul()),
        detector_(defaultRules(), {"driver-insu-prod"}),
        composer_(options(), Redactor::create(ContextConfig{}).value()) {}

  static ComposerOptions options() {
    ComposerOptions o;
    o.source_names = {"driver-insu-prod"};
    o.hostname = "ip-172-31-5-10";
    o.display_zone = seoul();
    return o;
  }

  void access(const std::string& raw) {
    AccessRecord rec;
    ParseFailure failure;
    ASSERT_TRUE(parser_.parse(raw, rec, failure)) << describe(failure);
    composer_.rememberAccess(0, raw, rec);
    detector_.observe(0, rec, rec.time);
    collect(rec.time);
  }

  void error(const std::string& raw) {
    ErrorRecord rec;
    ParseFailure failure;
    ASSERT_TRUE(errors_.parse(raw, rec, failure)) << describe(failure);
    composer_.rememberError(0, raw, rec);
    detector_.observeError(0, rec, rec.time);
    collect(rec.time);
  }

  void tick(Timestamp now) {
    detector_.tick(now);
    collect(now);
  }

  std::vector<IncidentEvent> events;
  AlertComposer& composer() { return composer_; }

 private:
  void collect(Timestamp now) {
    detector_.tick(now);
    for (IncidentEvent& e : detector_.takeEvents()) events.push_back(std::move(e));
  }

  AccessParser parser_;
  ErrorLineParser errors_;
  Detector detector_;
  AlertComposer composer_;
};

TEST(AlertComposer, TheIncidentAlertCarriesThe502sAndTheRefusedConnection) {
  const std::vector<std::string> seed = testing::seedIncidentLines();
  if (seed.size() != 2)
    GTEST_SKIP() << "shared folder not found at " << testing::kSeedIncidentLines;
  if (!haveTzdata()) GTEST_SKIP() << "no tzdata (Asia/Seoul)";
  const std::string ok = testing::asNginxWroteIt(seed[0]);   // 200 at 11:04:56
  const std::string bad = testing::asNginxWroteIt(seed[1]);  // 502 at 11:26:28
  const std::string token = testing::encTokens(bad).at(0);
  const std::vector<std::string> failing = {bad, at(bad, "11:33:10"), at(bad, "11:41:52")};

  IncidentServer server;
  server.error(
      "2022/11/16 10:00:00 [warn] 1234#1234: *17 an upstream response is buffered to a "
      "temporary file, client: 1.2.3.4, server: x");
  server.access(ok);
  for (const std::string& line : failing) {
    const std::string clock = line.substr(line.find("2022:") + 5, 8);
    server.error(errorLine(clock, token));
    server.access(line);
  }
  ASSERT_EQ(server.events.size(), 1u);
  const IncidentEvent event = server.events[0];  // a copy: more events follow
  ASSERT_EQ(event.kind, EventKind::kFiring);
  EXPECT_EQ(event.rule, "upstream-down");  // quiet site: the consecutive rule, on the third 502
  EXPECT_EQ(event.started_at, kst(11, 26, 28));

  const Alert alert = server.composer().compose(event);
  EXPECT_EQ(alert.hostname, "ip-172-31-5-10");
  EXPECT_EQ(alert.zone_label, "KST");
  EXPECT_EQ(alert.summary, "3 requests in a row failed with 502 Bad Gateway within 15m24s");
  EXPECT_EQ(alert.headline,
            "🔴 502 Bad Gateway on 3 requests in a row — driver-insu-prod — since 11:26:28 (KST)");
  EXPECT_FALSE(alert.test);

  // Access context: the quiet morning's 200 and the three 502s, redacted and cut.
  ASSERT_EQ(alert.context.access.size(), 4u);
  EXPECT_THAT(alert.context.access[0], HasSubstr("\"POST /api/join/user HTTP/1.1\" 200"));
  for (std::size_t i = 1; i < 4; ++i) {
    const std::string& line = alert.context.access[i];
    EXPECT_THAT(line, StartsWith("223.39.250.204 - - [16/Nov/2022:11:"));
    EXPECT_THAT(line, HasSubstr("\"GET /join/user-form?enc=*** HTTP/1.1\" 502 568"));
    EXPECT_EQ(codePoints(line), kContextLineChars);
    EXPECT_THAT(line, EndsWith("…"));
  }
  for (const std::string& line : alert.context.access) {
    EXPECT_EQ(line.find(token.substr(0, 8)), std::string::npos) << line;
  }

  // error.log context: the refused connections of the incident's span, not the 10:00 warning.
  ASSERT_EQ(alert.context.error.size(), 3u);
  for (const std::string& line : alert.context.error) {
    EXPECT_THAT(line, HasSubstr("connect() failed (111: Connection refused) while connecting to "
                                "upstream"));
    EXPECT_THAT(line, HasSubstr("request: \"GET /join/user-form?enc=*** HTTP/1.1\""));
    EXPECT_EQ(line.find(token.substr(0, 8)), std::string::npos);
    EXPECT_LE(codePoints(line), kContextLineChars);
  }
  EXPECT_THAT(alert.context.error[0], StartsWith("2022/11/16 11:26:28 [error]"));

  // The upstream recovers: healthy requests for resolve_after, and the resolved says how long.
  server.access(at(ok, "12:00:00"));
  server.access(at(ok, "12:03:00"));
  ASSERT_EQ(server.events.size(), 2u);
  const IncidentEvent& resolved = server.events[1];
  ASSERT_EQ(resolved.kind, EventKind::kResolved);
  EXPECT_EQ(resolved.incident_id, event.incident_id);
  const Alert done = server.composer().compose(resolved);
  EXPECT_EQ(done.headline,
            "✅ Resolved: 502 Bad Gateway — driver-insu-prod — lasted 36m 32s (11:26:28–12:03:00 "
            "KST)");
  EXPECT_THAT(done.summary, StartsWith("resolved after 36m 32s: "));
}

TEST(AlertComposer, ContextLinesAreCutAt300CharactersOnACharacterBoundary) {
  ComposerOptions options;
  options.source_names = {"site"};
  AlertComposer composer(options, Redactor());
  AccessParser parser(LogFormat::compile("combined").value());
  std::string path = "/";
  for (int i = 0; i < 400; ++i) path += "\xEA\xB0\x80";  // '가', three bytes each
  const std::string raw = "1.2.3.4 - - [16/Nov/2022:11:26:28 +0900] \"GET " + path +
                          " HTTP/1.1\" 502 568 \"-\" \"\xff\xfe-agent\"";
  AccessRecord rec;
  ParseFailure failure;
  ASSERT_TRUE(parser.parse(raw, rec, failure)) << describe(failure);
  composer.rememberAccess(0, raw, rec);
  const std::string short_raw =
      "1.2.3.4 - - [16/Nov/2022:11:26:29 +0900] \"GET /x HTTP/1.1\" 502 "
      "1 \"-\" \"\xff-agent\"";
  ASSERT_TRUE(parser.parse(short_raw, rec, failure));
  composer.rememberAccess(0, short_raw, rec);

  IncidentEvent event;
  event.source = "site";
  event.group = {{"source", "site"}};
  event.event_at = kst(11, 30, 0);
  const Alert alert = composer.compose(event);
  ASSERT_EQ(alert.context.access.size(), 2u);
  const std::string& cut = alert.context.access[0];
  EXPECT_EQ(codePoints(cut), kContextLineChars);
  EXPECT_EQ(validUtf8(cut), cut);
  EXPECT_THAT(cut, EndsWith("\xEA\xB0\x80…"));  // whole characters, then the mark
  // A short line is kept whole, its invalid bytes replaced.
  EXPECT_EQ(alert.context.access[1],
            "1.2.3.4 - - [16/Nov/2022:11:26:29 +0900] \"GET /x HTTP/1.1\" 502 1 \"-\" "
            "\"\xEF\xBF\xBD-agent\"");
}

// lines_before × kAccessRingLinesPerContextLine lines of the whole source are kept: a group's
// lines are found among other groups' traffic until that many newer lines have come.
TEST(AlertComposer, AccessRingHoldsEightLinesPerContextLine) {
  ComposerOptions options;
  options.source_names = {"site"};
  options.context.lines_before = 2;
  AlertComposer composer(options, Redactor());
  AccessRecord rec;
  rec.time = kst(11, 0, 0);
  rec.first_upstream_addr = "10.0.0.2:80";
  composer.rememberAccess(0, "the failing one", rec);
  rec.first_upstream_addr = "10.0.0.1:80";
  const std::size_t capacity = 2 * kAccessRingLinesPerContextLine;
  for (std::size_t i = 0; i + 1 < capacity; ++i) composer.rememberAccess(0, "healthy", rec);

  IncidentEvent event;
  event.source = "site";
  event.group = {{"source", "site"}, {"upstream", "10.0.0.2:80"}};
  event.event_at = kst(12, 0, 0);
  EXPECT_EQ(composer.compose(event).context.access, std::vector<std::string>{"the failing one"});
  composer.rememberAccess(0, "healthy", rec);
  EXPECT_TRUE(composer.compose(event).context.access.empty());
}

TEST(AlertComposer, RedactsPathsAndErrorTextButNotUpstreams) {
  ContextConfig context;
  context.redact_ips = true;
  context.redact_patterns = {"customer-[0-9]+"};
  ComposerOptions options;
  options.source_names = {"site"};
  AlertComposer composer(options, Redactor::create(context).value());
  IncidentEvent event;
  event.rule_kind = RuleKind::kErrorLog;
  event.source = "site";
  event.group = {{"source", "site"}, {"upstream", "10.0.0.2:80"}, {"path", "/u/customer-42"}};
  event.top_paths = {{"/u/customer-42", 3}, {"/ip/10.9.9.9", 1}};
  event.upstreams = {{"10.0.0.2:80", 4}};
  event.detail = "3 error.log lines matched in 2m: connect() failed, client: 10.7.7.7";
  const Alert alert = composer.compose(event);
  EXPECT_EQ(alert.event.group[2].second, "/u/***");
  EXPECT_EQ(alert.event.group[1].second, "10.0.0.2:80");
  EXPECT_EQ(alert.event.top_paths[0].name, "/u/***");
  EXPECT_EQ(alert.event.top_paths[1].name, "/ip/***");
  EXPECT_EQ(alert.event.upstreams[0].name, "10.0.0.2:80");
  EXPECT_EQ(alert.event.detail, "3 error.log lines matched in 2m: connect() failed, client: ***");
  EXPECT_THAT(alert.summary, Not(HasSubstr("10.7.7.7")));
  EXPECT_THAT(alert.headline, HasSubstr("/u/***"));
  EXPECT_THAT(alert.headline, Not(HasSubstr("customer-42")));
}

TEST(AlertComposer, TestAlertIsClearlyMarked) {
  ComposerOptions options;
  options.source_names = {"driver-insu-prod"};
  options.hostname = "web-1";
  AlertComposer composer(options, Redactor());
  const Alert alert = composer.testAlert(kst(11, 26, 31));
  EXPECT_TRUE(alert.test);
  EXPECT_THAT(alert.headline, StartsWith("🧪 TEST — "));
  EXPECT_THAT(alert.summary, StartsWith("TEST alert"));
  EXPECT_THAT(alert.summary, HasSubstr("nothing is failing"));
  EXPECT_EQ(alert.event.severity, Severity::kInfo);
  EXPECT_EQ(alert.hostname, "web-1");
  EXPECT_EQ(alert.event.source, "driver-insu-prod");
  EXPECT_THAT(alert.event.incident_id, StartsWith("test-"));
  EXPECT_NE(composer.testAlert(kst(11, 26, 32)).event.incident_id, alert.event.incident_id);
  EXPECT_FALSE(alert.context.access.empty());
}

// ---- summaries and headlines, every kind and event ----

IncidentEvent base(RuleKind kind) {
  IncidentEvent e;
  e.incident_id = "0123456789abcdef";
  e.rule = "rule";
  e.rule_kind = kind;
  e.source = "driver-insu-prod";
  e.group = {{"source", "driver-insu-prod"}};
  e.started_at = kst(11, 26, 28);
  e.fired_at = kst(11, 26, 31);
  e.event_at = e.fired_at;
  e.utc_offset_minutes = kKstMinutes;
  e.window = 60s;
  e.stats.requests = 240;
  e.stats.errors = 231;
  e.stats.by_status = {{200, 9}, {502, 231}};
  return e;
}

IncidentEvent reminder(IncidentEvent e) {
  e.kind = EventKind::kReminder;
  e.event_at = e.started_at + 4h + 3s;
  return e;
}

IncidentEvent resolved(IncidentEvent e, Timestamp at) {
  e.kind = EventKind::kResolved;
  e.resolved_at = at;
  e.event_at = at;
  return e;
}

TEST(Summary, RatioFiringReminderResolved) {
  IncidentEvent e = base(RuleKind::kRatio);
  EXPECT_EQ(summarize(e), "502 Bad Gateway on 96% of 240 requests in the last 60s");
  EXPECT_EQ(headline(e, "KST", false),
            "🔴 502 Bad Gateway on 96% of requests — driver-insu-prod — since 11:26:28 (KST)");

  EXPECT_EQ(summarize(reminder(e)),
            "still firing after 4h 3s: 502 Bad Gateway on 96% of 240 requests in the last 60s");
  EXPECT_EQ(headline(reminder(e), "KST", false),
            "🔴 502 Bad Gateway on 96% of requests — driver-insu-prod — since 11:26:28 (KST), "
            "4h 3s so far");

  e.peak.requests = 300;
  e.peak.errors = 290;
  e.peak.by_status = {{200, 10}, {502, 290}};
  const IncidentEvent done = resolved(e, kst(13, 10, 31));
  EXPECT_EQ(summarize(done),
            "resolved after 1h 44m 3s: at worst 502 Bad Gateway on 97% of 300 requests in 60s");
  EXPECT_EQ(headline(done, "KST", false),
            "✅ Resolved: 502 Bad Gateway — driver-insu-prod — lasted 1h 44m 3s "
            "(11:26:28–13:10:31 KST)");
}

TEST(Summary, RatioNamesTwoStatusesAndSmallShares) {
  IncidentEvent e = base(RuleKind::kRatio);
  e.stats = {};
  e.stats.requests = 12'000;
  e.stats.errors = 624;
  e.stats.by_status = {{200, 11'376}, {502, 600}, {504, 24}};
  EXPECT_EQ(summarize(e),
            "502 Bad Gateway and 504 Gateway Time-out on 5.2% of 12,000 requests in the last 60s");
  e.stats.by_status = {{200, 11'376}, {502, 500}, {503, 100}, {504, 24}};
  EXPECT_EQ(summarize(e), "5xx (502, 503, 504) on 5.2% of 12,000 requests in the last 60s");
  e.stats.errors = 36;
  e.stats.by_status = {{200, 11'964}, {429, 36}};
  EXPECT_EQ(summarize(e), "429 Too Many Requests on 0.3% of 12,000 requests in the last 60s");
}

TEST(Summary, ConsecutiveFiringReminderResolved) {
  IncidentEvent e = base(RuleKind::kConsecutive);
  e.group = {{"source", "driver-insu-prod"}, {"upstream", "127.0.0.1:8080"}};
  e.window = 30min;
  e.stats.requests = 3;
  e.stats.errors = 3;
  e.stats.by_status = {{502, 3}};
  e.detail = "3 consecutive failed requests, the last 3 within 41s";
  EXPECT_EQ(summarize(e), "3 requests in a row failed with 502 Bad Gateway within 41s");
  EXPECT_EQ(headline(e, "KST", false),
            "🔴 502 Bad Gateway on 3 requests in a row — driver-insu-prod (upstream "
            "127.0.0.1:8080) — since 11:26:28 (KST)");

  e.detail = "5 consecutive failed requests, the last 3 within 41s";
  EXPECT_EQ(summarize(e), "5 requests in a row failed with 502 Bad Gateway, the last 3 within 41s");
  e.detail = "3 consecutive failed requests, the last 3 within 0ms";
  EXPECT_EQ(summarize(e), "3 requests in a row failed with 502 Bad Gateway in under a second");
  e.detail = "5 consecutive failed requests, the last 3 within 41s";
  EXPECT_THAT(summarize(reminder(e)),
              StartsWith("still firing after 4h 3s: 5 requests in a row failed"));

  e.peak.requests = 7;
  e.peak.errors = 7;
  e.peak.by_status = {{502, 6}, {504, 1}};
  const IncidentEvent done = resolved(e, kst(11, 41, 52));
  EXPECT_EQ(summarize(done),
            "resolved after 15m 24s: at worst 7 of 7 requests failed with 502 Bad Gateway and 504 "
            "Gateway Time-out in 30m");
  EXPECT_EQ(headline(done, "KST", false),
            "✅ Resolved: 502 Bad Gateway and 504 Gateway Time-out — driver-insu-prod (upstream "
            "127.0.0.1:8080) — lasted 15m 24s (11:26:28–11:41:52 KST)");
}

TEST(Summary, BurnRateNamesThePairThatFired) {
  IncidentEvent e = base(RuleKind::kBurnRate);
  e.window = 1h;
  e.stats.requests = 12'000;
  e.stats.errors = 624;
  e.stats.by_status = {{200, 11'376}, {502, 624}};
  e.detail =
      "burn 52x over 1h and 60x over 5m (fires above 14.4x); burn 10x over 6h and 12x over 30m "
      "(fires above 6x), objective 99.9%";
  EXPECT_EQ(summarize(e),
            "502 Bad Gateway on 5.2% of 12,000 requests in the last 1h: error budget burn 52x "
            "over 1h and 60x over 5m (fires above 14.4x), objective 99.9%");
  e.detail =
      "burn 3x over 1h and 20x over 5m (fires above 14.4x); burn 7x over 6h and 8x over 30m "
      "(fires above 6x), objective 99.9%";
  EXPECT_THAT(summarize(e),
              HasSubstr("error budget burn 7x over 6h and 8x over 30m (fires above 6x), "
                        "objective 99.9%"));
  EXPECT_EQ(headline(e, "KST", false),
            "🔴 502 Bad Gateway on 5.2% of requests, burning the error budget — driver-insu-prod "
            "— since 11:26:28 (KST)");
  EXPECT_THAT(summarize(reminder(e)), StartsWith("still firing after 4h 3s: 502 Bad Gateway"));
  e.peak = e.stats;
  EXPECT_EQ(summarize(resolved(e, kst(12, 26, 28))),
            "resolved after 1h: at worst 502 Bad Gateway on 5.2% of 12,000 requests in 1h");
}

TEST(Summary, ErrorLogFiringReminderResolved) {
  IncidentEvent e = base(RuleKind::kErrorLog);
  e.window = 2min;
  e.detail =
      "3 error.log lines matched in 2m: connect() failed (111: Connection refused) while "
      "connecting to upstream";
  EXPECT_EQ(summarize(e), e.detail);
  EXPECT_EQ(headline(e, "KST", false),
            "🔴 error.log: connect() failed (111: Connection refused) while connecting to upstream "
            "— driver-insu-prod — since 11:26:28 (KST)");
  EXPECT_EQ(summarize(reminder(e)), "still firing after 4h 3s: " + e.detail);
  EXPECT_EQ(summarize(resolved(e, kst(11, 38, 28))),
            "resolved after 12m: no more matching error.log lines, and requests succeed again");

  e.detail = "1 error.log line matched in 2m: " + std::string(500, 'x');
  EXPECT_EQ(codePoints(summarize(e)), 300u);
  const std::string h = headline(e, "KST", false);
  EXPECT_THAT(h, HasSubstr("error.log: " + std::string(79, 'x') + "… — "));
}

TEST(Summary, SilenceFiringReminderResolved) {
  IncidentEvent e = base(RuleKind::kSilence);
  e.severity = Severity::kWarning;
  e.detail = "no requests for 15m after 1,234 in the 15m before";
  EXPECT_EQ(summarize(e), "no requests for 15m after 1,234 in the 15m before");
  EXPECT_EQ(headline(e, "KST", false),
            "🟠 No requests — driver-insu-prod — since 11:26:28 (KST)");
  EXPECT_THAT(summarize(reminder(e)), StartsWith("still firing after 4h 3s: no requests for"));
  EXPECT_EQ(summarize(resolved(e, kst(11, 46, 33))),
            "resolved after 20m 5s: requests arrive again");
  EXPECT_EQ(headline(resolved(e, kst(11, 46, 33)), "KST", false),
            "✅ Resolved: No requests — driver-insu-prod — lasted 20m 5s (11:26:28–11:46:33 KST)");
}

TEST(Headline, SeverityEmojiAndTestMark) {
  IncidentEvent e = base(RuleKind::kRatio);
  e.severity = Severity::kInfo;
  EXPECT_THAT(headline(e, "KST", false), StartsWith("🔵 502"));
  e.severity = Severity::kWarning;
  EXPECT_THAT(headline(e, "KST", false), StartsWith("🟠 502"));
  EXPECT_EQ(headline(e, "KST", true),
            "🧪 TEST — 🟠 502 Bad Gateway on 96% of requests — driver-insu-prod — since "
            "11:26:28 "
            "(KST)");
  EXPECT_THAT(headline(resolved(e, kst(12, 0, 0)), "KST", true), StartsWith("🧪 TEST — ✅"));
}

TEST(Headline, StartOnAnEarlierDayShowsTheDate) {
  IncidentEvent e = base(RuleKind::kRatio);
  e.started_at = kst(23, 50, 0, 15);
  e.event_at = kst(0, 10, 0, 16);
  EXPECT_THAT(headline(e, "+09:00", false), EndsWith("since Nov 15 23:50:00 (+09:00)"));
  EXPECT_THAT(headline(resolved(e, kst(0, 20, 0, 16)), "KST", false),
              EndsWith("lasted 30m (Nov 15 23:50:00–00:20:00 KST)"));
}

TEST(ZoneLabel, NamesTheZoneWhenItsOffsetIsTheLines) {
  if (!haveTzdata()) GTEST_SKIP() << "no tzdata";
  const TimeZone zone = seoul();
  EXPECT_EQ(zoneLabel(zone, kst(11, 26, 28), kKstMinutes), "KST");
  // The lines were written in another offset than the display zone's: say the offset.
  EXPECT_EQ(zoneLabel(zone, kst(11, 26, 28), 330), "+05:30");
  EXPECT_EQ(zoneLabel(zone, kst(11, 26, 28), -180), "-03:00");
  EXPECT_EQ(zoneLabel(zone, kst(11, 26, 28), 0), "UTC");
  EXPECT_EQ(zoneLabel(TimeZone::utc(), kst(11, 26, 28), 0), "UTC");
  // Numeric abbreviations are written as offsets.
  const auto dubai = TimeZone::load("Asia/Dubai");
  ASSERT_TRUE(dubai.ok());
  EXPECT_EQ(zoneLabel(dubai.value(), kst(11, 26, 28), 240), "+04:00");
}

TEST(TimeZoneAbbreviation, FromTheTzifFileAndItsFooter) {
  if (!haveTzdata()) GTEST_SKIP() << "no tzdata";
  EXPECT_EQ(seoul().abbreviationAt(kst(11, 26, 28)), "KST");
  const auto berlin = TimeZone::load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  EXPECT_EQ(berlin->abbreviationAt(kst(11, 26, 28)), "CET");
  EXPECT_EQ(berlin->abbreviationAt(kst(12, 0, 0) - std::chrono::days(140)), "CEST");
  // Far past the last transition in the file: the footer's rule names it.
  const Timestamp summer_2090 = Timestamp(std::chrono::sys_days(std::chrono::year(2090) / 7 / 1));
  EXPECT_EQ(berlin->abbreviationAt(summer_2090), "CEST");
  EXPECT_EQ(TimeZone::utc().abbreviationAt(kst(11, 26, 28)), "UTC");
}

TEST(StatusReason, NginxPhrases) {
  EXPECT_EQ(statusReason(502), "Bad Gateway");
  EXPECT_EQ(statusReason(504), "Gateway Time-out");
  EXPECT_EQ(statusReason(503), "Service Temporarily Unavailable");
  EXPECT_EQ(statusReason(200), "OK");
  EXPECT_EQ(statusReason(299), "");
  EXPECT_EQ(statusReason(0), "");
}

TEST(CutUtf8, CutsAtCodePointsAndMarksTheCut) {
  EXPECT_EQ(cutUtf8("abc", 3), "abc");
  EXPECT_EQ(cutUtf8("abcd", 3), "ab…");
  EXPECT_EQ(cutUtf8("", 3), "");
  EXPECT_EQ(cutUtf8("abc", 0), "");
  EXPECT_EQ(cutUtf8("가나다", 3), "가나다");
  EXPECT_EQ(cutUtf8("가나다라", 3), "가나…");
  EXPECT_EQ(cutUtf8("a\xffz", 3), "a\xEF\xBF\xBDz");
  EXPECT_EQ(cutUtf8("ab\xff", 3), "ab\xEF\xBF\xBD");
  EXPECT_EQ(cutUtf8("\xe2\x82", 5), "\xEF\xBF\xBD\xEF\xBF\xBD");
  const std::string long_line(1 << 20, 'x');
  EXPECT_EQ(cutUtf8(long_line, kContextLineChars), std::string(299, 'x') + "…");
}

}  // namespace
}  // namespace gw
