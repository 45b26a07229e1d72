// A restart in the middle of an incident: detector A fires, its event is what the state database
// keeps, and a fresh detector B with the same rules restores it and carries it on — same id, no
// second firing, reminders on the old schedule, resolved with the whole incident's peak.
#include <gtest/gtest.h>

#include <functional>

#include "detect/group_key.h"
#include "detect/incident_id.h"
#include "detect/incident_state.h"
#include "timeline.h"

namespace gw::test {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Req failing(int i, int every) { return i % every == 0 ? badGateway() : ok(); }

RuleConfig burnRule() {
  RuleConfig r;
  r.name = "slo-burn";
  r.kind = RuleKind::kBurnRate;
  r.objective = 0.999;
  r.burn_windows = {{1h, 5min, 14.4}};
  r.resolve_after = 0s;
  return r;
}

RuleConfig refusedRule() {
  RuleConfig r;
  r.name = "upstream-refused";
  r.kind = RuleKind::kErrorLog;
  r.match = {"connect() failed (111"};
  r.count = 3;
  r.window = 2min;
  return r;
}

RuleConfig silenceRule() {
  RuleConfig r;
  r.name = "traffic-stopped";
  r.kind = RuleKind::kSilence;
  r.after = 15min;
  r.min_previous = 100;
  return r;
}

constexpr std::string_view kRefused =
    "connect() failed (111: Connection refused) while connecting to upstream";

// One rule kind's incident, as a test needs it: the rule, how detector A fires it, and healthy
// traffic that resolves it.
struct Scenario {
  RuleConfig rule;
  std::function<void(Timeline&)> fire;
  std::function<void(Timeline&)> heal;
};

Scenario ratioScenario() {
  return {ratioRule(),
          [](Timeline& t) {
            t.traffic(60s, 100ms, [](int) { return ok(); });
            t.traffic(40s, 100ms, [](int i) { return failing(i, 2); });
          },
          [](Timeline& t) { t.traffic(3min, 500ms, [](int) { return ok(); }); }};
}

Scenario consecutiveScenario() {
  return {consecutiveRule(),
          [](Timeline& t) {
            for (int i = 0; i < 3; ++i) {
              t.request(badGateway());
              t.advance(1min);
            }
          },
          [](Timeline& t) { t.traffic(3min, 30s, [](int) { return ok(); }); }};
}

Scenario burnRateScenario() {
  return {burnRule(),
          [](Timeline& t) {
            t.traffic(1h, 1s, [](int) { return ok(); });
            t.traffic(2min, 1s, [](int) { return badGateway(); });
          },
          [](Timeline& t) { t.traffic(1min, 1s, [](int) { return ok(); }); }};
}

Scenario errorLogScenario() {
  return {refusedRule(),
          [](Timeline& t) {
            for (int i = 0; i < 3; ++i) {
              t.request(badGateway());  // the source's access lines: the event's numbers
              t.errorLine(kRefused);
              t.advance(20s);
            }
          },
          [](Timeline& t) { t.traffic(3min, 10s, [](int) { return ok(); }); }};
}

Scenario silenceScenario() {
  return {silenceRule(),
          [](Timeline& t) {
            t.traffic(20min, 5s, [](int) { return ok(); });
            t.advance(16min);
          },
          [](Timeline& t) { t.request(ok()); }};
}

// Fires the scenario's incident in a detector of its own and returns the firing event.
IncidentEvent fireInA(const Scenario& s) {
  Timeline a({s.rule});
  s.fire(a);
  EXPECT_EQ(a.firings().size(), 1u) << s.rule.name;
  return a.firings().empty() ? IncidentEvent{} : a.firings()[0];
}

// Detector B, restarted at `at` with the same rules, the event restored.
struct Restarted {
  Restarted(const Scenario& s, const IncidentEvent& event, Timestamp at) : t({s.rule}) {
    t.now = at;
    restored = t.detector.restoreIncident(event, t.now);
  }
  Timeline t;
  bool restored = false;
};

void expectSameIncident(const IncidentEvent& got, const IncidentEvent& fired) {
  EXPECT_EQ(got.incident_id, fired.incident_id);
  EXPECT_EQ(got.rule, fired.rule);
  EXPECT_EQ(got.group, fired.group);
  EXPECT_EQ(got.source, fired.source);
  EXPECT_EQ(got.started_at, fired.started_at);
  EXPECT_EQ(got.fired_at, fired.fired_at);
  EXPECT_EQ(got.incident_id, incidentId(got.rule, got.group, got.started_at))
      << "the id is the hash of rule, group and started_at";
}

class RestoreEachKind : public ::testing::TestWithParam<Scenario (*)()> {};

TEST_P(RestoreEachKind, ContinuesUnderTheSameIdAndResolvesWithTheRestoredPeak) {
  const Scenario s = GetParam()();
  const IncidentEvent fired = fireInA(s);
  ASSERT_FALSE(fired.incident_id.empty());
  if (s.rule.kind != RuleKind::kSilence) {  // silence's window is empty when it fires
    ASSERT_GT(fired.peak.errors, 0u) << "a peak worth restoring";
  }

  Restarted b(s, fired, fired.event_at + 30s);
  ASSERT_TRUE(b.restored);
  EXPECT_TRUE(b.t.events.empty()) << "a restore emits nothing: the firing was sent before";
  const auto open = b.t.detector.openIncidents();
  ASSERT_EQ(open.size(), 1u);
  expectSameIncident(open[0], fired);
  EXPECT_EQ(open[0].kind, EventKind::kFiring);
  EXPECT_EQ(open[0].event_at, b.t.now) << "restoring moved the detector's time to now";

  s.heal(b.t);
  EXPECT_TRUE(b.t.firings().empty());
  ASSERT_EQ(b.t.of(EventKind::kResolved).size(), 1u) << s.rule.name;
  const IncidentEvent resolved = b.t.of(EventKind::kResolved)[0];
  expectSameIncident(resolved, fired);
  EXPECT_EQ(resolved.peak.errors, fired.peak.errors);
  EXPECT_EQ(resolved.peak.requests, fired.peak.requests);
  EXPECT_EQ(resolved.peak.by_status, fired.peak.by_status);
  EXPECT_EQ(resolved.peak_at, fired.peak_at);
  EXPECT_EQ(resolved.top_paths.size(), fired.top_paths.size());
  EXPECT_EQ(resolved.upstreams.size(), fired.upstreams.size());
  EXPECT_TRUE(b.t.detector.openIncidents().empty());
}

TEST_P(RestoreEachKind, RestoringTheSameIncidentTwiceIsRefused) {
  const Scenario s = GetParam()();
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 30s);
  ASSERT_TRUE(b.restored);
  EXPECT_FALSE(b.t.detector.restoreIncident(fired, b.t.now)) << "the group is already open";
  EXPECT_EQ(b.t.detector.openIncidents().size(), 1u);
}

TEST_P(RestoreEachKind, ResolvedEventIsRefused) {
  const Scenario s = GetParam()();
  IncidentEvent resolved = fireInA(s);
  resolved.kind = EventKind::kResolved;
  resolved.resolved_at = resolved.event_at;
  Restarted b(s, resolved, resolved.event_at + 30s);
  EXPECT_FALSE(b.restored);
  EXPECT_TRUE(b.t.detector.openIncidents().empty());
  EXPECT_EQ(b.t.detector.groupCount(), 0u) << "a refusal leaves no group behind";
}

std::string kindName(const ::testing::TestParamInfo<Scenario (*)()>& info) {
  return toString(info.param().rule.kind);
}

INSTANTIATE_TEST_SUITE_P(Kinds, RestoreEachKind,
                         ::testing::Values(&ratioScenario, &consecutiveScenario, &burnRateScenario,
                                           &errorLogScenario, &silenceScenario),
                         kindName);

// --- more failures after the restart ----------------------------------------------------------

TEST(Restore, RatioMoreFailuresAfterTheRestartFireNoSecondTimeAndRaiseThePeak) {
  const Scenario s = ratioScenario();
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 30s);
  ASSERT_TRUE(b.restored);
  // The upstream is still down, and worse: every request fails.
  b.t.traffic(2min, 100ms, [](int) { return badGateway(); });
  EXPECT_TRUE(b.t.firings().empty()) << "the incident was already firing";
  ASSERT_EQ(b.t.detector.openIncidents().size(), 1u);
  EXPECT_EQ(b.t.detector.openIncidents()[0].incident_id, fired.incident_id);

  s.heal(b.t);
  ASSERT_EQ(b.t.of(EventKind::kResolved).size(), 1u);
  const IncidentEvent resolved = b.t.of(EventKind::kResolved)[0];
  EXPECT_EQ(resolved.incident_id, fired.incident_id);
  EXPECT_GT(resolved.peak.errors, fired.peak.errors) << "a worse window after the restart";
  EXPECT_GT(resolved.peak_at, fired.event_at);
}

TEST(Restore, ConsecutiveMoreFailuresFireNoSecondTimeAndAddToTheTops) {
  const Scenario s = consecutiveScenario();
  const IncidentEvent fired = fireInA(s);
  ASSERT_EQ(fired.upstreams.size(), 1u);
  ASSERT_EQ(fired.upstreams[0].count, 3u);
  Restarted b(s, fired, fired.event_at + 5min);
  ASSERT_TRUE(b.restored);
  for (int i = 0; i < 4; ++i) {
    b.t.request(badGateway());
    b.t.advance(1min);
  }
  EXPECT_TRUE(b.t.firings().empty());

  s.heal(b.t);
  ASSERT_EQ(b.t.of(EventKind::kResolved).size(), 1u);
  const IncidentEvent resolved = b.t.of(EventKind::kResolved)[0];
  expectSameIncident(resolved, fired);
  ASSERT_EQ(resolved.upstreams.size(), 1u);
  EXPECT_EQ(resolved.upstreams[0].count, 7u) << "3 before the restart and 4 after";
  ASSERT_EQ(resolved.top_paths.size(), 1u);
  EXPECT_EQ(resolved.top_paths[0].count, 7u);
}

TEST(Restore, ErrorLogMoreMatchesFireNoSecondTime) {
  const Scenario s = errorLogScenario();
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 1min);
  ASSERT_TRUE(b.restored);
  for (int i = 0; i < 5; ++i) b.t.errorLine(kRefused);
  EXPECT_TRUE(b.t.firings().empty());
  b.t.advance(3min);  // the matches leave the 2-minute window
  EXPECT_TRUE(b.t.of(EventKind::kResolved).empty()) << "no traffic: stays open";
  s.heal(b.t);
  ASSERT_EQ(b.t.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(b.t.of(EventKind::kResolved)[0].incident_id, fired.incident_id);
}

TEST(Restore, BurnRateMoreFailuresFireNoSecondTime) {
  const Scenario s = burnRateScenario();
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 1min);
  ASSERT_TRUE(b.restored);
  b.t.traffic(5min, 1s, [](int) { return badGateway(); });
  EXPECT_TRUE(b.t.firings().empty());
  ASSERT_EQ(b.t.detector.openIncidents().size(), 1u);
  EXPECT_EQ(b.t.detector.openIncidents()[0].incident_id, fired.incident_id);
}

// --- reminders --------------------------------------------------------------------------------

TEST(Restore, RemindersContinueEveryRepeatIntervalFromTheLastEvent) {
  Scenario s = consecutiveScenario();
  s.rule.repeat_interval = 1h;
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 20min);
  ASSERT_TRUE(b.restored);
  b.t.advance(39min);
  EXPECT_TRUE(b.t.of(EventKind::kReminder).empty()) << "59 minutes after the firing";
  b.t.advance(1h + 2min);

  const auto reminders = b.t.of(EventKind::kReminder);
  ASSERT_EQ(reminders.size(), 2u);
  EXPECT_EQ(reminders[0].event_at, fired.event_at + 1h);
  EXPECT_EQ(reminders[1].event_at, fired.event_at + 2h);
  for (const IncidentEvent& r : reminders) expectSameIncident(r, fired);
}

TEST(Restore, FromAReminderTheScheduleRunsFromThatReminder) {
  Scenario s = consecutiveScenario();
  s.rule.repeat_interval = 1h;
  Timeline a({s.rule});
  s.fire(a);
  a.advance(1h + 10min);
  ASSERT_EQ(a.of(EventKind::kReminder).size(), 1u);
  const IncidentEvent reminder = a.of(EventKind::kReminder)[0];  // the last one history holds

  Restarted b(s, reminder, a.now);
  ASSERT_TRUE(b.restored);
  b.t.advance(reminder.event_at + 1h - b.t.now);
  ASSERT_EQ(b.t.of(EventKind::kReminder).size(), 1u);
  EXPECT_EQ(b.t.of(EventKind::kReminder)[0].event_at, reminder.event_at + 1h);
  expectSameIncident(b.t.of(EventKind::kReminder)[0], a.firings()[0]);
}

// --- refusals ---------------------------------------------------------------------------------

TEST(Restore, UnknownRuleIsRefused) {
  const Scenario s = consecutiveScenario();
  IncidentEvent fired = fireInA(s);
  fired.rule = "renamed-since";
  Restarted b(s, fired, fired.event_at);
  EXPECT_FALSE(b.restored);
  EXPECT_TRUE(b.t.detector.openIncidents().empty());
}

TEST(Restore, ChangedGroupByIsRefused) {
  const Scenario s = consecutiveScenario();  // by source and upstream
  const IncidentEvent fired = fireInA(s);
  for (std::vector<GroupKey> by : {std::vector<GroupKey>{GroupKey::kSource},
                                   std::vector<GroupKey>{GroupKey::kSource, GroupKey::kHost},
                                   std::vector<GroupKey>{GroupKey::kUpstream, GroupKey::kSource}}) {
    Scenario changed = s;
    changed.rule.group_by = by;
    Restarted b(changed, fired, fired.event_at);
    EXPECT_FALSE(b.restored) << by.size() << " keys";
    EXPECT_EQ(b.t.detector.groupCount(), 0u);
  }
}

TEST(Restore, ChangedRuleKindIsRefused) {
  const Scenario s = consecutiveScenario();
  const IncidentEvent fired = fireInA(s);
  Scenario changed = s;
  changed.rule.kind = RuleKind::kRatio;  // same name, another rule
  Restarted b(changed, fired, fired.event_at);
  EXPECT_FALSE(b.restored);
}

TEST(Restore, SourceNoLongerConfiguredOrReadByTheRuleIsRefused) {
  const Scenario s = consecutiveScenario();
  const IncidentEvent fired = fireInA(s);  // source "site"
  {
    Timeline b({s.rule}, {"web"});
    EXPECT_FALSE(b.detector.restoreIncident(fired, fired.event_at)) << "no source named site";
  }
  {
    RuleConfig api_only = s.rule;
    api_only.sources = {"api"};
    Timeline b({api_only}, {"site", "api"});
    EXPECT_FALSE(b.detector.restoreIncident(fired, fired.event_at)) << "the rule reads api only";
  }
  {
    Timeline b({s.rule}, {"api", "site"});  // another order: found by name, not index
    b.now = fired.event_at;
    EXPECT_TRUE(b.detector.restoreIncident(fired, fired.event_at));
    b.request(badGateway());  // source 0 is api now
    Req site = badGateway();
    site.source = 1;
    for (int i = 0; i < 3; ++i) b.request(site);
    EXPECT_TRUE(b.firings().empty()) << "site's group is the restored one";
    ASSERT_EQ(b.detector.openIncidents().size(), 1u);
    EXPECT_EQ(b.detector.openIncidents()[0].source, "site");
  }
}

TEST(Restore, NotGroupedBySourceTheEventsSourceMustBeRead) {
  RuleConfig per_host = ratioRule("per-host");
  per_host.group_by = {GroupKey::kHost};
  per_host.ratio.reset();
  per_host.count = 3;
  per_host.min_requests = 1;
  Timeline a({per_host});
  for (int i = 0; i < 3; ++i) a.request(badGateway());
  ASSERT_EQ(a.firings().size(), 1u);
  const IncidentEvent fired = a.firings()[0];

  Timeline renamed({per_host}, {"web"});
  EXPECT_FALSE(renamed.detector.restoreIncident(fired, a.now));
  Timeline same({per_host});
  ASSERT_TRUE(same.detector.restoreIncident(fired, a.now));
  ASSERT_EQ(same.detector.openIncidents().size(), 1u);
  expectSameIncident(same.detector.openIncidents()[0], fired);
}

TEST(Restore, GroupThatFiredInTheNewDetectorIsRefused) {
  const Scenario s = consecutiveScenario();
  const IncidentEvent fired = fireInA(s);
  Timeline b({s.rule});
  b.now = fired.event_at;
  s.fire(b);  // a refill that ran before the restore: the group is open already
  ASSERT_EQ(b.firings().size(), 1u);
  EXPECT_FALSE(b.detector.restoreIncident(fired, b.now));
}

TEST(Restore, EvenAPendingGroupIsRefused) {
  RuleConfig rule = consecutiveRule();
  rule.for_duration = 10min;
  Timeline a({rule});
  for (int i = 0; i < 3; ++i) a.request(badGateway());
  a.advance(11min);
  ASSERT_EQ(a.firings().size(), 1u);

  Timeline b({rule});
  for (int i = 0; i < 3; ++i) b.request(badGateway());  // pending for 10 minutes
  EXPECT_TRUE(b.events.empty());
  EXPECT_FALSE(b.detector.restoreIncident(a.firings()[0], b.now));
}

// --- group values -----------------------------------------------------------------------------

TEST(Restore, EmptyGroupValueShownAsDashMapsBackToTheSameGroup) {
  // A format without $upstream_addr: the upstream value is empty, and events show it as "-".
  const auto noUpstream = [] {
    Req r = badGateway();
    r.reach = UpstreamReach::kUnknown;
    return r;
  };
  Timeline a({consecutiveRule()});
  for (int i = 0; i < 3; ++i) a.request(noUpstream());
  ASSERT_EQ(a.firings().size(), 1u);
  const IncidentEvent fired = a.firings()[0];
  ASSERT_EQ(fired.group, (std::vector<std::pair<std::string, std::string>>{{"source", "site"},
                                                                           {"upstream", "-"}}));

  Timeline b({consecutiveRule()});
  b.now = a.now;
  ASSERT_TRUE(b.detector.restoreIncident(fired, b.now));
  for (int i = 0; i < 3; ++i) b.request(noUpstream());
  EXPECT_TRUE(b.firings().empty()) << "the records found the restored group";
  EXPECT_EQ(b.detector.groupCount(), 1u);
  b.traffic(3min, 30s, [](int) {
    Req r = ok();
    r.reach = UpstreamReach::kUnknown;
    return r;
  });
  ASSERT_EQ(b.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(b.of(EventKind::kResolved)[0].incident_id, fired.incident_id);
}

TEST(Restore, ValueLongerThanAGroupKeyHoldsIsRefused) {
  RuleConfig per_path = ratioRule("per-path");
  per_path.group_by = {GroupKey::kPath};
  IncidentEvent event;
  event.rule = per_path.name;
  event.rule_kind = RuleKind::kRatio;
  event.source = "site";
  event.group = {{"path", std::string(kMaxPathKeyBytes + 1, 'a')}};
  Timeline b({per_path});
  EXPECT_FALSE(b.detector.restoreIncident(event, b.now)) << "no record's group has that value";
}

// --- silence ----------------------------------------------------------------------------------

TEST(Restore, SilenceStaysOpenAgainstOldLinesAndResolvesOnANewRequest) {
  const Scenario s = silenceScenario();
  const IncidentEvent fired = fireInA(s);
  Restarted b(s, fired, fired.event_at + 10min);
  ASSERT_TRUE(b.restored);
  b.t.advance(1h);
  EXPECT_TRUE(b.t.events.empty());
  ASSERT_EQ(b.t.detector.openIncidents().size(), 1u);
  const std::string detail = b.t.detector.openIncidents()[0].detail;
  EXPECT_NE(detail.find("no requests for 1h"), std::string::npos) << detail;
  EXPECT_NE(detail.find("after at least 100 in the 15m before"), std::string::npos) << detail;

  // The log's tail read again after the restart: lines from before the silence are no news.
  for (int i = 0; i < 10; ++i) b.t.requestAt(fired.started_at - seconds(5 * i), ok());
  EXPECT_TRUE(b.t.events.empty());
  ASSERT_EQ(b.t.detector.openIncidents().size(), 1u);

  const Timestamp back = b.t.now;
  b.t.request(ok());
  ASSERT_EQ(b.t.of(EventKind::kResolved).size(), 1u);
  EXPECT_EQ(b.t.of(EventKind::kResolved)[0].resolved_at, back);
  EXPECT_EQ(b.t.of(EventKind::kResolved)[0].incident_id, fired.incident_id);
}

// --- the state machine ------------------------------------------------------------------------

TEST(IncidentStateRestore, FiresFromTheGivenTimesAndIgnoresSuccessesFromBeforeTheIncident) {
  const IncidentTimers timers{0s, 120s, 1h};
  const Timestamp started = morning();
  IncidentState state;
  state.restore(started, started + 2min, started + 5min);
  EXPECT_TRUE(state.firing());
  EXPECT_EQ(state.startedAt(), started);
  EXPECT_EQ(state.firedAt(), started + 2min);
  EXPECT_FALSE(state.resolvedAt());

  const Timestamp now = started + 30min;
  // Successes logged before the incident began, seen now: no healthy traffic.
  EXPECT_EQ(state.step(now, false, now, {}, started - 10min, timers), std::nullopt);
  EXPECT_EQ(state.step(now, false, now, {}, started, timers), std::nullopt);
  EXPECT_EQ(state.step(now, false, now, {}, now, timers), std::nullopt);
  EXPECT_EQ(state.step(now + 2min, false, now, {}, now + 2min, timers), EventKind::kResolved);
  EXPECT_EQ(state.resolvedAt(), now + 2min);
}

TEST(IncidentStateRestore, ReminderFallsDueFromTheLastNotice) {
  const IncidentTimers timers{0s, 120s, 1h};
  const Timestamp started = morning();
  IncidentState state;
  state.restore(started, started + 1min, started + 3h + 1min);  // after three reminders
  EXPECT_EQ(state.step(started + 4h, true, started, {}, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(state.step(started + 4h + 1min, true, started, {}, std::nullopt, timers),
            EventKind::kReminder);
}

}  // namespace
}  // namespace gw::test
