// The stored form of an Alert (outbox, history): a lossless round trip, versioned, with errors
// that name the field; and how two queued notifications of one incident merge.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>

#include "alert/alert.h"
#include "alert/compose.h"

namespace gw {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::json;

Timestamp at(int64_t ms) { return Timestamp(Millis(ms)); }

// Every field set, none to its default, so a field the round trip forgot shows.
Alert fullAlert() {
  Alert a;
  IncidentEvent& e = a.event;
  e.incident_id = "9f86d081884c7d65";
  e.kind = EventKind::kReminder;
  e.rule = "upstream-failure-rate";
  e.rule_kind = RuleKind::kBurnRate;
  e.severity = Severity::kWarning;
  e.source = "driver-insu-prod";
  e.group = {{"source", "driver-insu-prod"}, {"upstream", "127.0.0.1:8080"}, {"path", "-"}};
  e.started_at = at(1668565588123);
  e.fired_at = at(1668565591000);
  e.resolved_at = at(1668571831999);
  e.event_at = at(1668571832000);
  e.utc_offset_minutes = -570;
  e.window = 3'600'000ms;
  e.stats.requests = 240;
  e.stats.errors = 231;
  e.stats.by_status = {{0, 1}, {200, 8}, {502, 231}};
  e.peak.requests = 18'446'744'073'709'551'615ull;  // the largest count survives
  e.peak.errors = 300;
  e.peak.by_status = {{504, 300}};
  e.peak_at = at(-5);  // before the epoch, for what it's worth
  e.top_paths = {{"/join/user-form", 120}, {"/가입", 3}};
  e.upstreams = {{"127.0.0.1:8080", 231}};
  e.detail = "burn 52x over 1h and 60x over 5m (fires above 14.4x), objective 99.9%";
  e.sinks = {"ops-slack", "pager"};
  a.hostname = "ip-172-31-5-10";
  a.summary = "502 Bad Gateway on 96% of 240 requests in the last 60s";
  a.headline = "🔴 502 Bad Gateway on 96% of requests — driver-insu-prod — since 11:26:28 (KST)";
  a.zone_label = "KST";
  a.context.access = {"line \"one\" \\ with quotes", "line two\ttab"};
  a.context.error = {"2022/11/16 11:26:28 [error] connect() failed (111: Connection refused)"};
  a.test = true;
  return a;
}

void expectSame(const Alert& x, const Alert& y) {
  const IncidentEvent& a = x.event;
  const IncidentEvent& b = y.event;
  EXPECT_EQ(a.incident_id, b.incident_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.rule, b.rule);
  EXPECT_EQ(a.rule_kind, b.rule_kind);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.fired_at, b.fired_at);
  EXPECT_EQ(a.resolved_at, b.resolved_at);
  EXPECT_EQ(a.event_at, b.event_at);
  EXPECT_EQ(a.utc_offset_minutes, b.utc_offset_minutes);
  EXPECT_EQ(a.window, b.window);
  EXPECT_EQ(a.stats.requests, b.stats.requests);
  EXPECT_EQ(a.stats.errors, b.stats.errors);
  EXPECT_EQ(a.stats.by_status, b.stats.by_status);
  EXPECT_EQ(a.peak.requests, b.peak.requests);
  EXPECT_EQ(a.peak.errors, b.peak.errors);
  EXPECT_EQ(a.peak.by_status, b.peak.by_status);
  EXPECT_EQ(a.peak_at, b.peak_at);
  ASSERT_EQ(a.top_paths.size(), b.top_paths.size());
  for (std::size_t i = 0; i < a.top_paths.size(); ++i) {
    EXPECT_EQ(a.top_paths[i].name, b.top_paths[i].name);
    EXPECT_EQ(a.top_paths[i].count, b.top_paths[i].count);
  }
  ASSERT_EQ(a.upstreams.size(), b.upstreams.size());
  for (std::size_t i = 0; i < a.upstreams.size(); ++i) {
    EXPECT_EQ(a.upstreams[i].name, b.upstreams[i].name);
    EXPECT_EQ(a.upstreams[i].count, b.upstreams[i].count);
  }
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.sinks, b.sinks);
  EXPECT_EQ(x.hostname, y.hostname);
  EXPECT_EQ(x.summary, y.summary);
  EXPECT_EQ(x.headline, y.headline);
  EXPECT_EQ(x.zone_label, y.zone_label);
  EXPECT_EQ(x.context.access, y.context.access);
  EXPECT_EQ(x.context.error, y.context.error);
  EXPECT_EQ(x.test, y.test);
}

TEST(StoredAlert, RoundTripKeepsEveryField) {
  const Alert original = fullAlert();
  const std::string json = toStoredJson(original);
  const auto back = alertFromStoredJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  expectSame(original, back.value());
  EXPECT_EQ(toStoredJson(back.value()), json);  // and writes the same bytes again
}

TEST(StoredAlert, RoundTripOfAFreshFiringWithoutResolution) {
  Alert a;
  a.event.kind = EventKind::kFiring;
  a.event.started_at = at(1668565588000);
  const auto back = alertFromStoredJson(toStoredJson(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->event.resolved_at.has_value());
  expectSame(a, back.value());
}

TEST(StoredAlert, IsVersionedJson) {
  const Json j = Json::parse(toStoredJson(fullAlert()));
  EXPECT_EQ(j.at("stored_version"), 1);
  EXPECT_EQ(j.at("event").at("kind"), "reminder");
  EXPECT_EQ(j.at("event").at("rule_kind"), "burn_rate");
  EXPECT_EQ(j.at("event").at("stats").at("by_status").at("502"), 231);
  EXPECT_EQ(j.at("event").at("resolved_at_ms"), 1668571831999);
}

TEST(StoredAlert, InvalidUtf8IsReplacedNotThrown) {
  Alert a = fullAlert();
  a.context.access = {"bad \xff byte"};
  const auto back = alertFromStoredJson(toStoredJson(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->context.access[0], "bad \xEF\xBF\xBD byte");
}

std::string storedWith(const std::function<void(Json&)>& change) {
  Json j = Json::parse(toStoredJson(fullAlert()));
  change(j);
  return j.dump();
}

std::string errorOf(const std::string& json) {
  const auto r = alertFromStoredJson(json);
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message;
}

TEST(StoredAlert, ErrorsNameTheField) {
  EXPECT_EQ(errorOf("{"), "stored alert: not valid JSON");
  EXPECT_THAT(errorOf("[1]"), HasSubstr("not an object"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"].erase("rule"); })),
              HasSubstr("event.rule is missing"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"]["stats"]["requests"] = "240"; })),
              HasSubstr("event.stats.requests is a string, expected a whole number"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"]["kind"] = "exploded"; })),
              HasSubstr("event.kind is 'exploded', expected one of firing, reminder, resolved"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"]["stats"]["by_status"]["5x2"] = 1; })),
              HasSubstr("event.stats.by_status.5x2"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"]["group"][1] = Json::array({"a"}); })),
              HasSubstr("event.group[1]"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["context"]["error"][0] = 7; })),
              HasSubstr("context.error[0] is a whole number, expected a string"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j["event"]["utc_offset_minutes"] = 99999; })),
              HasSubstr("event.utc_offset_minutes is 99999, out of range"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j.erase("test"); })), HasSubstr("test is missing"));
}

TEST(StoredAlert, NewerVersionIsRefusedWithAHint) {
  const std::string message = errorOf(storedWith([](Json& j) { j["stored_version"] = 2; }));
  EXPECT_THAT(message, HasSubstr("stored_version 2"));
  EXPECT_THAT(message, HasSubstr("newer version"));
  EXPECT_THAT(errorOf(storedWith([](Json& j) { j.erase("stored_version"); })),
              HasSubstr("stored_version is missing"));
}

// ---- merging queued notifications ----

Alert event(EventKind kind, uint64_t errors, std::string access_line) {
  Alert a;
  a.event.incident_id = "9f86d081884c7d65";
  a.event.kind = kind;
  a.event.rule_kind = RuleKind::kRatio;
  a.event.source = "driver-insu-prod";
  a.event.group = {{"source", "driver-insu-prod"}};
  a.event.started_at = at(1668565588000);
  a.event.fired_at = at(1668565591000);
  a.event.event_at = at(1668565591000);
  a.event.utc_offset_minutes = 540;
  a.event.window = 60s;
  a.event.stats.requests = 240;
  a.event.stats.errors = errors;
  a.event.stats.by_status = {{200, 240 - errors}, {502, errors}};
  a.event.peak = a.event.stats;
  a.zone_label = "KST";
  a.summary = summarize(a.event);
  a.headline = headline(a.event, a.zone_label, false);
  a.context.access = {std::move(access_line)};
  a.context.error = {"error " + std::to_string(errors)};
  return a;
}

TEST(MergeQueued, FiringThenReminderStaysAFiringWithTheNewerFigures) {
  const Alert firing = event(EventKind::kFiring, 231, "firing line");
  Alert reminder = event(EventKind::kReminder, 120, "reminder line");
  reminder.event.event_at = firing.event.event_at + 4h;
  reminder.summary = summarize(reminder.event);
  const Alert merged = mergeQueued(firing, reminder);
  EXPECT_EQ(merged.event.kind, EventKind::kFiring);
  EXPECT_EQ(merged.event.stats.errors, 120u);
  EXPECT_EQ(merged.summary, "502 Bad Gateway on 50% of 240 requests in the last 60s");
  EXPECT_THAT(merged.headline, StartsWith("🔴 502 Bad Gateway on 50% of requests"));
  EXPECT_THAT(merged.headline, Not(HasSubstr("so far")));
  EXPECT_EQ(merged.context.access, std::vector<std::string>{"reminder line"});
}

TEST(MergeQueued, FiringThenResolvedBecomesTheResolvedWithTheFailingLines) {
  const Alert firing = event(EventKind::kFiring, 231, "the 502 line");
  Alert done = event(EventKind::kResolved, 0, "a healthy line");
  done.event.peak = firing.event.stats;
  done.event.resolved_at = firing.event.started_at + 1h + 44min + 3s;
  done.event.event_at = *done.event.resolved_at;
  done.summary = summarize(done.event);
  done.headline = headline(done.event, "KST", false);
  const Alert merged = mergeQueued(firing, done);
  EXPECT_EQ(merged.event.kind, EventKind::kResolved);
  EXPECT_EQ(merged.event.fired_at, firing.event.fired_at);
  EXPECT_EQ(merged.summary,
            "resolved after 1h 44m 3s: at worst 502 Bad Gateway on 96% of 240 requests in 60s");
  EXPECT_THAT(merged.headline, HasSubstr("lasted 1h 44m 3s"));
  // The receiver never saw the firing: the failing requests are the evidence it gets.
  EXPECT_EQ(merged.context.access, std::vector<std::string>{"the 502 line"});
  EXPECT_EQ(merged.context.error, std::vector<std::string>{"error 0"});
}

TEST(MergeQueued, ReminderThenResolvedAndReminderThenReminder) {
  const Alert r1 = event(EventKind::kReminder, 200, "r1");
  const Alert r2 = event(EventKind::kReminder, 100, "r2");
  const Alert twice = mergeQueued(r1, r2);
  EXPECT_EQ(twice.event.kind, EventKind::kReminder);
  EXPECT_EQ(twice.event.stats.errors, 100u);
  EXPECT_EQ(twice.summary, r2.summary);

  Alert done = event(EventKind::kResolved, 0, "healthy");
  done.event.resolved_at = r1.event.started_at + 10min;
  const Alert merged = mergeQueued(r1, done);
  EXPECT_EQ(merged.event.kind, EventKind::kResolved);
  EXPECT_EQ(merged.context.access, std::vector<std::string>{"r1"});
}

}  // namespace
}  // namespace gw
