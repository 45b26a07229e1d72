// Detection scenarios, each a timeline on a fake clock: records carry their times, ticks carry
// "now", nothing sleeps.
#include "detect/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <set>

#include "timeline.h"

namespace gw::test {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Req failing(int i, int every) { return i % every == 0 ? badGateway() : ok(); }

double secondsBetween(Timestamp a, Timestamp b) { return duration<double>(b - a).count(); }

// --- ratio -------------------------------------------------------------------------------

TEST(RatioRule, FiresWhenTheRatioIsReached) {
  Timeline t({ratioRule()});  // 10% of at least 20 requests over 60s
  t.traffic(60s, 100ms, [](int) { return ok(); });
  const Timestamp storm = t.now;
  t.traffic(60s, 100ms, [](int i) { return failing(i, 5); });  // 20% from here

  ASSERT_EQ(t.firings().size(), 1u);
  const IncidentEvent e = t.firings()[0];
  // 2 failures a second against ~600 requests in the window: 10% after about 30s.
  EXPECT_GE(e.fired_at, storm + 28s);
  EXPECT_LE(e.fired_at, storm + 31s);
  EXPECT_EQ(e.started_at, storm);
  EXPECT_EQ(e.rule, "rate");
  EXPECT_EQ(e.source, "site");
  EXPECT_EQ(e.group, (std::vector<std::pair<std::string, std::string>>{{"source", "site"}}));
  EXPECT_EQ(e.window, 60s);
  EXPECT_EQ(e.sinks, std::vector<std::string>{"ops-slack"});
  EXPECT_EQ(e.utc_offset_minutes, 9 * 60);
  EXPECT_GE(e.stats.ratio(), 0.1);
  EXPECT_EQ(e.stats.by_status.at(502), e.stats.errors);
  EXPECT_EQ(e.stats.by_status.at(200) + e.stats.by_status.at(502), e.stats.requests);
  EXPECT_NE(e.detail.find("requests failed"), std::string::npos) << e.detail;
}

TEST(RatioRule, CountAloneFiresOnTheNthFailure) {
  RuleConfig rule = ratioRule();
  rule.ratio.reset();
  rule.count = 10;
  Timeline t({rule});
  t.traffic(60s, 500ms, [](int) { return ok(); });
  const Timestamp storm = t.now;
  t.traffic(60s, 500ms, [](int i) { return failing(i, 10); });  // one every 5s

  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].fired_at, storm + 45s);  // the 10th failure
  EXPECT_EQ(t.firings()[0].stats.errors, 10u);
}

TEST(RatioRule, WithRatioAndCountBothMustHold) {
  // The default rule's shape on a busy site: 0.3% background failures are far more than 10 a
  // minute, and must not fire; a storm above 5% must.
  RuleConfig rule = ratioRule();
  rule.ratio = 0.05;
  rule.count = 10;
  Timeline t({rule});
  t.traffic(120s, 10ms, [](int i) { return failing(i, 300); });  // 100 rps, 0.33% failing
  EXPECT_TRUE(t.firings().empty()) << "background noise above `count` but below `ratio`";
  const Timestamp storm = t.now;
  t.traffic(30s, 10ms, [](int i) { return failing(i, 2); });  // 50%
  ASSERT_EQ(t.firings().size(), 1u);
  // 5% of a 60s window holding a minute of healthy traffic: ~300 failures at 50 a second.
  EXPECT_LE(t.firings()[0].fired_at, storm + 7s);
}

TEST(RatioRule, StartedAtSkipsTheBackgroundFailuresBeforeTheStorm) {
  RuleConfig rule = ratioRule();
  rule.ratio = 0.05;
  rule.count = 10;
  Timeline t({rule});
  t.traffic(120s, 10ms, [](int i) { return failing(i, 300); });  // background 0.33%
  const Timestamp storm = t.now;
  t.traffic(30s, 10ms, [](int i) { return failing(i, 2); });
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].started_at, storm) << "not a background failure up to a window before";
}

TEST(RatioRule, WithRatioAndCountAFewRequestsNeedTheCountToo) {
  RuleConfig rule = ratioRule();
  rule.ratio = 0.05;
  rule.count = 10;
  rule.min_requests = 20;
  Timeline t({rule});
  t.traffic(60s, 2s, [](int i) { return failing(i, 5); });  // 30 requests, 6 failing: 20%
  EXPECT_TRUE(t.firings().empty()) << "20% of 30 requests is 6 failures, below count 10";
}

TEST(RatioRule, GivesNoVerdictBelowMinRequests) {
  Timeline t({ratioRule()});  // min_requests 20
  for (int i = 0; i < 19; ++i) {
    t.request(badGateway());
    t.advance(3s);
  }
  EXPECT_TRUE(t.firings().empty()) << "19 requests, all failing, are below the floor";
  t.request(badGateway());
  EXPECT_EQ(t.firings().size(), 1u);
}

// --- for, resolve_after, reminders ----------------------------------------------------------

TEST(ForDuration, PendingIsCancelledWhenTheConditionClears) {
  RuleConfig rule = ratioRule();
  rule.window = 10s;
  rule.for_duration = 30s;
  Timeline t({rule});
  t.traffic(10s, 100ms, [](int) { return ok(); });
  t.traffic(2s, 100ms, [](int) { return badGateway(); });  // 20/100: met, pending
  t.traffic(60s, 100ms, [](int) { return ok(); });         // out of the window after 10s
  EXPECT_TRUE(t.events.empty());
}

TEST(ForDuration, FiresWhenTheConditionHeldForTheWholeSpan) {
  RuleConfig rule = ratioRule();
  rule.window = 10s;
  rule.for_duration = 30s;
  Timeline t({rule});
  t.traffic(10s, 100ms, [](int) { return ok(); });
  const Timestamp storm = t.now;
  t.traffic(40s, 100ms, [](int) { return badGateway(); });

  ASSERT_EQ(t.firings().size(), 1u);
  // Met at the 10th failure (10 of the 100 requests in the window), fired 30s later.
  EXPECT_EQ(t.firings()[0].fired_at, storm + 900ms + 30s);
  EXPECT_EQ(t.firings()[0].started_at, storm);
}

TEST(ResolveAfter, ResolvesAfterThatLongOfHealthyTraffic) {
  Timeline t({consecutiveRule()});  // resolve_after 120s by default
  const Timestamp first = t.now;
  for (int i = 0; i < 3; ++i) {
    t.request(badGateway());
    t.advance(1min);
  }
  ASSERT_EQ(t.firings().size(), 1u);
  const Timestamp healthy = t.now;
  for (int i = 0; i < 4; ++i) {
    t.request(ok());
    t.advance(30s);
  }
  EXPECT_TRUE(t.of(EventKind::kResolved).empty()) << "healthy for 90s only";
  t.request(ok());  // healthy + 120s
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  const IncidentEvent r = t.of(EventKind::kResolved)[0];
  EXPECT_EQ(r.resolved_at, healthy + 120s);
  EXPECT_EQ(r.started_at, first);
  EXPECT_EQ(r.fired_at, first + 2min);
  EXPECT_EQ(r.incident_id, t.firings()[0].incident_id);
}

TEST(Reminder, RepeatsEveryRepeatIntervalWhileFiring) {
  RuleConfig rule = consecutiveRule();
  rule.repeat_interval = 1h;
  Timeline t({rule});
  for (int i = 0; i < 3; ++i) t.request(badGateway());
  ASSERT_EQ(t.firings().size(), 1u);
  const Timestamp fired = t.now;
  t.advance(2h + 30min);

  const auto reminders = t.of(EventKind::kReminder);
  ASSERT_EQ(reminders.size(), 2u);
  EXPECT_EQ(reminders[0].event_at, fired + 1h);
  EXPECT_EQ(reminders[1].event_at, fired + 2h);
  EXPECT_EQ(reminders[0].fired_at, fired);
}

TEST(ResolveAfter, TrafficStoppingMidIncidentDoesNotResolveIt) {
  RuleConfig rule = ratioRule();
  rule.repeat_interval = 4h;
  Timeline t({rule});
  t.traffic(60s, 100ms, [](int) { return ok(); });
  t.traffic(30s, 100ms, [](int) { return badGateway(); });
  ASSERT_EQ(t.firings().size(), 1u);

  t.advance(5h);  // nothing at all: the window empties, the incident stays open
  EXPECT_TRUE(t.of(EventKind::kResolved).empty());
  EXPECT_EQ(t.of(EventKind::kReminder).size(), 1u);
  ASSERT_EQ(t.detector.openIncidents().size(), 1u);
  EXPECT_EQ(t.detector.openIncidents()[0].stats.requests, 0u);

  const Timestamp back = t.now;  // the upstream is back
  t.traffic(3min, 1s, [](int) { return ok(); });
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(t.of(EventKind::kResolved)[0].resolved_at, back + 120s);
  EXPECT_TRUE(t.detector.openIncidents().empty());
}

// --- time -----------------------------------------------------------------------------------

TEST(OutOfOrder, LateLineLandsInItsOwnBucket) {
  RuleConfig rule = ratioRule();
  rule.ratio.reset();
  rule.count = 3;
  rule.min_requests = 1;
  Timeline t({rule});
  const Timestamp start = t.now;
  t.requestAt(start + 10s, badGateway());
  t.now = start + 20s;
  t.request(badGateway());
  // nginx logs at request end: a slow request that began earlier is written after.
  t.requestAt(start + 5s, badGateway());

  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].started_at, start + 5s);
  EXPECT_EQ(t.firings()[0].stats.errors, 3u);
  EXPECT_EQ(t.detector.counters().late_records, 0u);

  t.now = start + 100s;
  t.requestAt(start + 20s, badGateway());  // 80s back: older than the 60s window
  EXPECT_EQ(t.detector.counters().late_records, 1u);
  EXPECT_EQ(t.detector.openIncidents()[0].stats.errors, 0u);
}

TEST(Skew, LiveLineFarFromTheClockIsTakenAsNow) {
  Timeline t({consecutiveRule()}, {"site"}, DetectorOptions{kLiveMaxSkew});
  const Timestamp two_hours_ago = t.now - 2h;  // a line written in the wrong zone
  for (int i = 0; i < 3; ++i) t.requestAt(two_hours_ago + seconds(i), badGateway());
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].started_at, t.now);
  EXPECT_EQ(t.detector.counters().skew_clamped, 3u);

  t.requestAt(t.now - 30s, ok());  // within 60s: its own time is kept
  EXPECT_EQ(t.detector.counters().skew_clamped, 3u);
}

// --- consecutive ----------------------------------------------------------------------------

TEST(ConsecutiveRule, QuietSiteFiresOnTheThird502) {
  // The incident's server: a request every few minutes, 502 from 11:26 on. The default rules.
  Timeline t(defaultRules());
  for (Timestamp at : {jst(11, 0, 5), jst(11, 3, 41), jst(11, 6, 12)}) {
    t.advance(at - t.now);
    t.request(ok());
  }
  t.advance(jst(11, 26, 28) - t.now);
  t.request(badGateway());
  t.advance(jst(11, 31, 2) - t.now);
  t.request(badGateway());
  EXPECT_TRUE(t.firings().empty());
  t.advance(jst(11, 37, 45) - t.now);
  t.request(badGateway());

  ASSERT_EQ(t.firings().size(), 1u) << "the ratio rule never fires: too few requests";
  const IncidentEvent e = t.firings()[0];
  EXPECT_EQ(e.rule, "upstream-down");
  EXPECT_EQ(e.started_at, jst(11, 26, 28));
  EXPECT_EQ(e.fired_at, jst(11, 37, 45));
  EXPECT_EQ(e.group, (std::vector<std::pair<std::string, std::string>>{
                         {"source", "site"}, {"upstream", "127.0.0.1:8080"}}));
  EXPECT_EQ(e.stats.by_status.at(502), 3u);
  ASSERT_EQ(e.upstreams.size(), 1u);
  EXPECT_EQ(e.upstreams[0].name, "127.0.0.1:8080");
  EXPECT_EQ(e.upstreams[0].count, 3u);
  EXPECT_EQ(e.detail, "3 consecutive failed requests, the last 3 within 11m17s");
}

TEST(ConsecutiveRule, StaysQuietOnBusyTrafficWhereTheRatioRuleJudges) {
  Timeline t({consecutiveRule()});  // quiet_below 20 in 60s
  // 10 requests a second; three 502s in a row now and then are background noise.
  t.traffic(120s, 100ms, [](int i) { return i % 50 >= 47 ? badGateway() : ok(); });
  EXPECT_TRUE(t.firings().empty());
}

TEST(ConsecutiveRule, QuietBelowZeroJudgesAtAnyRate) {
  RuleConfig rule = consecutiveRule();
  rule.quiet_below = 0;
  Timeline t({rule});
  t.traffic(120s, 100ms, [](int i) { return i % 50 >= 47 ? badGateway() : ok(); });
  EXPECT_FALSE(t.firings().empty());
}

TEST(ConsecutiveRule, NotWhenTheFailuresSpreadBeyondWithin) {
  Timeline t({consecutiveRule()});  // 3 within 30m
  const Timestamp first = t.now;
  for (int i = 0; i < 3; ++i) {
    if (i > 0) t.advance(20min);
    t.request(badGateway());
  }
  EXPECT_TRUE(t.firings().empty()) << "3 failures over 40 minutes";
  t.advance(5min);  // a 4th: the last 3 span 25 minutes
  t.request(badGateway());
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].started_at, first) << "nothing succeeded since the first failure";
}

// --- burn rate ------------------------------------------------------------------------------

RuleConfig burnRule(std::vector<BurnWindow> windows) {
  RuleConfig r;
  r.name = "slo-burn";
  r.kind = RuleKind::kBurnRate;
  r.objective = 0.999;
  r.burn_windows = std::move(windows);
  r.resolve_after = 0s;  // resolved_at is then the moment the condition clears
  return r;
}

TEST(BurnRateRule, DetectionAndResetTimesMatchTheWorkbook) {
  // SRE workbook ch. 5, 99.9% objective, 14.4x over 1h with a 5m short window, 100% errors:
  // detection after 1h × 14.4 × 0.001 = 0.864 min; reset once the 5m window's ratio falls
  // below 1.44%, 5m × (1 − 0.0144) = 4.93 min after the errors stop.
  Timeline t({burnRule({{1h, 5min, 14.4}})});
  t.traffic(1h, 1s, [](int) { return ok(); });
  const Timestamp errors_from = t.now;
  t.traffic(10min, 1s, [](int) { return badGateway(); });
  ASSERT_EQ(t.firings().size(), 1u);
  const double detection = secondsBetween(errors_from, t.firings()[0].fired_at);
  EXPECT_NEAR(detection, 0.864 * 60, 2.0);
  EXPECT_EQ(t.firings()[0].started_at, errors_from);

  const Timestamp errors_to = t.now;
  t.traffic(10min, 1s, [](int) { return ok(); });
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  const double reset = secondsBetween(errors_to, *t.of(EventKind::kResolved)[0].resolved_at);
  EXPECT_NEAR(reset, 5 * 60 * (1 - 0.0144), 2.0);
}

TEST(BurnRateRule, DefaultPairsResetWhenTheSixHourPairClears) {
  // With the default pairs, the 6h/30m pair (6x) is met too, and holds until its 30m window's
  // ratio falls below 0.6%: 30m × (1 − 0.006) = 29.8 min, to one coarse (1 min) bucket.
  RuleConfig rule = burnRule({});
  Timeline t({rule});
  // Six hours of history, so that the 6h window is full: with less, 6x is reached sooner.
  t.traffic(6h, 1s, [](int) { return ok(); });
  const Timestamp errors_from = t.now;
  t.traffic(10min, 1s, [](int) { return badGateway(); });
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_NEAR(secondsBetween(errors_from, t.firings()[0].fired_at), 51.84, 2.0);
  EXPECT_NE(t.firings()[0].detail.find("over 1h"), std::string::npos) << t.firings()[0].detail;

  const Timestamp errors_to = t.now;
  t.traffic(40min, 1s, [](int) { return ok(); });
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  const double reset = secondsBetween(errors_to, *t.of(EventKind::kResolved)[0].resolved_at);
  EXPECT_NEAR(reset, 30 * 60 * (1 - 0.006), 61.0);
}

// --- error_log ------------------------------------------------------------------------------

RuleConfig refusedRule() {
  RuleConfig r;
  r.name = "upstream-refused";
  r.kind = RuleKind::kErrorLog;
  r.match = {"connect() failed (111", "no live upstreams"};
  r.count = 3;
  r.window = 2min;
  return r;
}

constexpr std::string_view kRefused =
    "connect() failed (111: Connection refused) while connecting to upstream";

TEST(ErrorLogRule, FiresOnMatchingLinesWithinTheWindow) {
  Timeline t({refusedRule()});
  for (int i = 0; i < 5; ++i)
    t.errorLine("open() \"/srv/favicon.ico\" failed (2: No such file or directory)");
  const Timestamp first = t.now;
  t.errorLine(kRefused);
  t.advance(30s);
  t.errorLine(kRefused);
  EXPECT_TRUE(t.firings().empty());
  t.advance(30s);
  t.errorLine("no live upstreams while connecting to upstream");

  ASSERT_EQ(t.firings().size(), 1u);
  const IncidentEvent e = t.firings()[0];
  EXPECT_EQ(e.started_at, first);
  EXPECT_EQ(e.fired_at, first + 60s);
  EXPECT_EQ(e.group, (std::vector<std::pair<std::string, std::string>>{{"source", "site"}}));
  EXPECT_NE(e.detail.find("3 error.log lines matched in 2m"), std::string::npos) << e.detail;
  ASSERT_EQ(e.top_paths.size(), 1u);
  EXPECT_EQ(e.top_paths[0].name, "/join/user-form");
  ASSERT_EQ(e.upstreams.size(), 1u);
  EXPECT_EQ(e.upstreams[0].name, "127.0.0.1:8080");

  t.advance(10min);  // no traffic at all: stays open
  EXPECT_TRUE(t.of(EventKind::kResolved).empty());
  const Timestamp healthy = t.now;
  t.traffic(3min, 10s, [](int) { return ok(); });
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(t.of(EventKind::kResolved)[0].resolved_at, healthy + 120s);
}

TEST(ErrorLogRule, NotWhenMatchesAreSpreadBeyondTheWindow) {
  Timeline t({refusedRule()});
  for (int i = 0; i < 10; ++i) {
    t.errorLine(kRefused);
    t.advance(61s);  // never 3 within 2 minutes
  }
  EXPECT_TRUE(t.firings().empty());
}

// --- silence --------------------------------------------------------------------------------

RuleConfig silenceRule() {
  RuleConfig r;
  r.name = "traffic-stopped";
  r.kind = RuleKind::kSilence;
  r.after = 15min;
  r.min_previous = 100;
  return r;
}

TEST(SilenceRule, FiresWhenRegularTrafficStopsAndResolvesWhenItReturns) {
  Timeline t({silenceRule()});
  t.traffic(20min, 5s, [](int) { return ok(); });  // 180 requests in the last 15 minutes
  const Timestamp last = t.now - 5s;
  t.advance(14min);
  EXPECT_TRUE(t.firings().empty());
  t.advance(2min);

  ASSERT_EQ(t.firings().size(), 1u);
  const IncidentEvent e = t.firings()[0];
  EXPECT_EQ(e.fired_at, last + 15min);
  EXPECT_EQ(e.started_at, last);
  EXPECT_NE(e.detail.find("no requests for 15m"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("after 180"), std::string::npos) << e.detail;

  t.advance(1h);
  EXPECT_TRUE(t.of(EventKind::kResolved).empty());
  const Timestamp back = t.now;
  t.request(ok());  // the one rule that resolves on traffic arriving
  ASSERT_EQ(t.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(t.of(EventKind::kResolved)[0].resolved_at, back);
}

TEST(SilenceRule, NotAfterSparseTraffic) {
  Timeline t({silenceRule()});
  t.traffic(30min, 1min, [](int) { return ok(); });  // 15 in 15 minutes: below min_previous
  t.advance(1h);
  EXPECT_TRUE(t.events.empty());
}

// --- groups ---------------------------------------------------------------------------------

TEST(GroupTable, RandomHostFloodKeepsGroupsBoundedAndTheFiringOne) {
  RuleConfig rule = ratioRule("per-host");
  rule.group_by = {GroupKey::kHost};
  rule.ratio.reset();
  rule.count = 3;
  rule.min_requests = 1;
  rule.max_groups = 100;
  Timeline t({rule});
  Req victim = badGateway();
  victim.host = "victim.example";
  for (int i = 0; i < 3; ++i) t.request(victim);
  ASSERT_EQ(t.firings().size(), 1u);

  uint64_t x = 88172645463325252ULL;  // xorshift64: a deterministic flood
  std::size_t most = 0;
  for (int i = 0; i < 10'000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::string host = std::to_string(x) + ".attacker.example";
    Req r = badGateway();
    r.host = host;
    t.request(r);
    most = std::max(most, t.detector.groupCount());
    if (i % 100 == 0) t.advance(1s);
  }
  EXPECT_LE(most, 100u);
  EXPECT_EQ(t.detector.counters().groups_evicted, 10'000u + 1 - 100);
  EXPECT_EQ(t.detector.counters().open_groups_evicted, 0u);
  const auto open = t.detector.openIncidents();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].group,
            (std::vector<std::pair<std::string, std::string>>{{"host", "victim.example"}}));
}

// --- what counts ----------------------------------------------------------------------------

Req limitReq503() {
  Req r;
  r.status = 503;
  r.reach = UpstreamReach::kNotReached;  // $upstream_addr "-": nginx answered by itself
  return r;
}

TEST(WhatCounts, LimitReqFloodOf503IsNotCountedByUpstreamRules) {
  Timeline t(defaultRules());
  t.traffic(2min, 20ms, [](int i) { return i % 5 == 0 ? ok() : limitReq503(); });
  EXPECT_TRUE(t.events.empty());
}

TEST(WhatCounts, WithoutUpstreamFieldsTheStatusAloneDecides) {
  Timeline t(defaultRules());
  t.traffic(2min, 20ms, [](int i) {
    Req r = i % 5 == 0 ? ok() : limitReq503();
    r.reach = UpstreamReach::kUnknown;  // a format without $upstream_addr/$upstream_status
    return r;
  });
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].rule, "upstream-failure-rate");
}

TEST(WhatCounts, RetriedUpstreamListFailsTheFirstUpstreamNotTheSite) {
  RuleConfig site = ratioRule("site-rate");
  site.ratio.reset();
  site.count = 3;
  site.min_requests = 1;
  Timeline t({consecutiveRule(), site});
  Req retried;  // "$upstream_addr 10.0.0.1:80, 10.0.0.2:80" "$upstream_status 502, 200" -> 200
  retried.status = 200;
  retried.upstream = "10.0.0.1:80";
  retried.upstream_statuses = {502, 200};
  for (int i = 0; i < 5; ++i) {
    t.request(retried);
    t.advance(10s);
  }
  ASSERT_EQ(t.firings().size(), 1u);
  const IncidentEvent e = t.firings()[0];
  EXPECT_EQ(e.rule, "down");
  EXPECT_EQ(e.group, (std::vector<std::pair<std::string, std::string>>{
                         {"source", "site"}, {"upstream", "10.0.0.1:80"}}));
  EXPECT_EQ(e.stats.by_status.at(502), 3u);  // the first upstream's status is the one judged
}

// --- incidents ------------------------------------------------------------------------------

std::vector<IncidentEvent> outage(Millis offset) {
  RuleConfig rule = consecutiveRule();
  rule.repeat_interval = 10min;
  Timeline t({rule});
  t.advance(offset);
  for (int i = 0; i < 3; ++i) {
    t.request(badGateway());
    t.advance(20s);
  }
  t.advance(25min);
  t.traffic(3min, 30s, [](int) { return ok(); });
  return t.events;
}

TEST(IncidentId, StableAcrossFiringRemindersAndResolvedAndReplays) {
  const auto events = outage(0s);
  ASSERT_EQ(events.size(), 4u);  // firing, 2 reminders, resolved
  EXPECT_EQ(events.front().kind, EventKind::kFiring);
  EXPECT_EQ(events.back().kind, EventKind::kResolved);
  const std::string id = events.front().incident_id;
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  for (const IncidentEvent& e : events) EXPECT_EQ(e.incident_id, id) << toString(e.kind);

  EXPECT_EQ(outage(0s).front().incident_id, id) << "a replay finds the same id";
  EXPECT_NE(outage(1s).front().incident_id, id) << "another start is another incident";
}

TEST(StartedAt, IsTheFirstFailingRequestToTheMillisecond) {
  Timeline t({ratioRule()});
  t.traffic(60s, 100ms, [](int) { return ok(); });
  const Timestamp first = t.now + 12345ms;
  t.traffic(12345ms, 100ms, [](int) { return ok(); });
  t.requestAt(first, badGateway());
  t.traffic(60s, 50ms, [](int i) { return failing(i, 2); });
  ASSERT_EQ(t.firings().size(), 1u);
  EXPECT_EQ(t.firings()[0].started_at, first);
  EXPECT_EQ(formatRfc3339(t.firings()[0].started_at, 9 * 60), "2022-11-16T11:01:12.345+09:00");
}

TEST(IncidentEvent, CarriesTopPathsUpstreamsAndPeak) {
  RuleConfig rule = ratioRule();
  rule.ratio.reset();
  rule.count = 5;
  rule.min_requests = 1;
  Timeline t({rule});
  const std::vector<std::pair<std::string_view, int>> paths{
      {"/pay", 6}, {"/join/user-form", 3}, {"/", 1}};
  for (const auto& [path, n] : paths) {
    for (int i = 0; i < n; ++i) {
      Req r = badGateway();
      r.path = path;
      r.upstream = i % 2 ? "10.0.0.2:80" : "10.0.0.1:80";
      t.request(r);
      t.advance(1s);
    }
  }
  t.advance(2min);  // the storm leaves the window
  t.traffic(3min, 1s, [](int) { return ok(); });

  const IncidentEvent* resolved = t.firstOf(EventKind::kResolved);
  ASSERT_NE(resolved, nullptr);
  ASSERT_EQ(resolved->top_paths.size(), 3u);
  EXPECT_EQ(resolved->top_paths[0].name, "/pay");
  EXPECT_EQ(resolved->top_paths[0].count, 6u);
  EXPECT_EQ(resolved->top_paths[1].name, "/join/user-form");
  EXPECT_EQ(resolved->top_paths[2].name, "/");
  ASSERT_EQ(resolved->upstreams.size(), 2u);
  EXPECT_EQ(resolved->upstreams[0].name, "10.0.0.1:80");
  EXPECT_EQ(resolved->upstreams[0].count, 6u);
  EXPECT_EQ(resolved->peak.errors, 10u);
  EXPECT_EQ(resolved->peak_at, t.firings()[0].fired_at + 5s);
  EXPECT_EQ(resolved->stats.errors, 0u);
}

TEST(MultipleRulesAndSources, EachRuleSeesItsSourcesAndGroups) {
  RuleConfig api_down = consecutiveRule("api-down");
  api_down.sources = {"api"};
  RuleConfig any_rate = ratioRule("any-rate");
  any_rate.ratio.reset();
  any_rate.count = 3;
  any_rate.min_requests = 1;
  Timeline t({api_down, any_rate}, {"web", "api"});
  Req web = badGateway();
  web.source = 0;
  Req api = badGateway();
  api.source = 1;
  for (int i = 0; i < 3; ++i) t.request(web);
  for (int i = 0; i < 3; ++i) t.request(api);

  std::set<std::pair<std::string, std::string>> fired;
  for (const IncidentEvent& e : t.firings()) fired.insert({e.rule, e.source});
  EXPECT_EQ(fired, (std::set<std::pair<std::string, std::string>>{
                       {"any-rate", "web"}, {"any-rate", "api"}, {"api-down", "api"}}));
  EXPECT_EQ(t.detector.openIncidents().size(), 3u);
}

}  // namespace
}  // namespace gw::test
