// The detector's parts on their own: the bucket ring, the traffic window, top-K, group keys,
// the group table and the incident state machine.
#include <gtest/gtest.h>

#include <string>

#include "detect/bucket_ring.h"
#include "detect/group_key.h"
#include "detect/group_table.h"
#include "detect/incident_id.h"
#include "detect/incident_state.h"
#include "detect/request_outcome.h"
#include "detect/rule_params.h"
#include "detect/top_k.h"
#include "detect/traffic_window.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

const Timestamp kT0 = Timestamp(std::chrono::sys_days(std::chrono::year(2022) / 11 / 16)) + 2h;

TEST(BucketRing, WidthIsOneSecondUpToTenMinutesThenOneMinute) {
  EXPECT_EQ(bucketWidthFor(60s), 1s);
  EXPECT_EQ(bucketWidthFor(10min), 1s);
  EXPECT_EQ(bucketWidthFor(1h), 1min);
  EXPECT_EQ(bucketWidthFor(6h), 1min);
  EXPECT_EQ(BucketRing<int>(6h).span(), 6h);
  EXPECT_LE(BucketRing<int>(std::chrono::hours(24 * 30)).span() /
                bucketWidthFor(std::chrono::hours(24 * 30)),
            int64_t(kMaxBuckets));
}

TEST(BucketRing, LateTimeLandsInItsOwnBucketAndTooOldIsRefused) {
  BucketRing<int> ring(10s);
  auto none = [](int) {};
  ++*ring.at(kT0 + 20s, none);
  ++*ring.at(kT0 + 15s, none);                   // 5s back: its own bucket
  EXPECT_EQ(ring.at(kT0 + 10s, none), nullptr);  // 10 buckets: 11..20 remain
  int sum = 0;
  std::vector<Timestamp> starts;
  ring.forEach(kT0 + 20s, [&](Timestamp start, int n) {
    sum += n;
    if (n) starts.push_back(start);
  });
  EXPECT_EQ(sum, 2);
  EXPECT_EQ(starts, (std::vector<Timestamp>{kT0 + 15s, kT0 + 20s}));
}

TEST(BucketRing, AdvancingExpiresEachBucketThatLeaves) {
  BucketRing<int> ring(10s);
  int expired = 0;
  auto count = [&](int n) { expired += n; };
  for (int i = 0; i < 10; ++i) ++*ring.at(kT0 + std::chrono::seconds(i), count);
  ring.advance(kT0 + 12s, count);
  EXPECT_EQ(expired, 3);  // seconds 0, 1, 2
  ring.advance(kT0 + 1h, count);
  EXPECT_EQ(expired, 10);
}

TEST(TrafficWindow, RunningTotalsFollowTheWindow) {
  TrafficWindow w(60s, true);
  for (int i = 0; i < 60; ++i)
    w.add(kT0 + std::chrono::seconds(i), i % 3 == 0, i % 3 == 0 ? 502 : 200);
  EXPECT_EQ(w.requests(), 60u);
  EXPECT_EQ(w.failures(), 20u);
  w.advance(kT0 + 89s);  // seconds 0..29 leave
  EXPECT_EQ(w.requests(), 30u);
  EXPECT_EQ(w.failures(), 10u);
  const WindowStats stats = w.current().toStats();
  EXPECT_EQ(stats.by_status, (std::map<uint16_t, uint64_t>{{200, 20}, {502, 10}}));
  EXPECT_EQ(w.at(kT0 + 89s).toStats().by_status, stats.by_status);
  EXPECT_EQ(w.at(kT0 + 200s).requests, 0u);  // reading ahead does not move the window
  EXPECT_EQ(w.requests(), 30u);
}

TEST(TrafficWindow, EarliestFailureIsExactToTheMillisecond) {
  TrafficWindow w(60s, false);
  w.add(kT0 + 1500ms, false, 200);
  w.add(kT0 + 2750ms, true, 502);
  w.add(kT0 + 2250ms, true, 502);  // out of order, same bucket
  w.add(kT0 + 9s, true, 502);
  EXPECT_EQ(w.earliestFailure(kT0 + 10s), kT0 + 2250ms);
  EXPECT_EQ(w.earliestFailure(kT0 + 62s + 500ms), kT0 + 9s);  // second 2 has left
}

TEST(TrafficWindow, StatusesBeyondTheSlotsAreSummedAsOther) {
  TrafficWindow w(60s, true);
  for (uint16_t s = 200; s < 200 + kSuccessStatusSlots + 3; ++s) w.add(kT0, false, s);
  const WindowStats stats = w.current().toStats();
  EXPECT_EQ(stats.requests, kSuccessStatusSlots + 3);
  EXPECT_EQ(stats.by_status.at(0), 3u);
  EXPECT_EQ(stats.by_status.at(200), 1u);
  // Once a status has left the window its slot is free again.
  w.add(kT0 + 61s, false, 418);
  EXPECT_EQ(w.current().toStats().by_status, (std::map<uint16_t, uint64_t>{{418, 1}}));
}

TEST(TrafficWindow, SuccessStatusesNeverCrowdOutFailures) {
  // A busy site's mix, then its upstream failures: the 502s must show as 502s.
  TrafficWindow w(60s, true);
  for (uint16_t s : {200, 201, 204, 301, 302, 304, 400, 403, 404, 499}) w.add(kT0, false, s);
  w.add(kT0, true, 502);
  w.add(kT0, true, 504);
  const WindowStats stats = w.current().toStats();
  EXPECT_EQ(stats.by_status.at(502), 1u);
  EXPECT_EQ(stats.by_status.at(504), 1u);
  EXPECT_EQ(stats.by_status.at(0), 4u);
}

TEST(RequestOutcome, NotReachedIsLeftOutWhateverItsStatus) {
  AccessRecord r;
  r.status = 503;
  r.upstream_reach = UpstreamReach::kNotReached;
  const StatusSet upstream{502, 503, 504};
  EXPECT_FALSE(judgeRequest(r, upstream, Judge::kFinalStatus).counted);
  EXPECT_TRUE(judgeRequest(r, upstream, Judge::kEveryRecord).counted);
  r.upstream_reach = UpstreamReach::kUnknown;
  EXPECT_TRUE(judgeRequest(r, upstream, Judge::kFinalStatus).failure);
}

TEST(RequestOutcome, RetriedListJudgesTheFirstUpstreamOnlyForUpstreamGroups) {
  AccessRecord r;
  r.status = 200;
  r.upstream_reach = UpstreamReach::kReached;
  r.upstream_statuses = {502, 200};
  r.upstream_status_count = 2;
  const StatusSet upstream{502, 503, 504};
  const RequestOutcome site = judgeRequest(r, upstream, Judge::kFinalStatus);
  EXPECT_TRUE(site.counted);
  EXPECT_FALSE(site.failure);
  const RequestOutcome first = judgeRequest(r, upstream, Judge::kFirstUpstream);
  EXPECT_TRUE(first.failure);
  EXPECT_EQ(first.status, 502);
}

TEST(RuleParams, EmptyStatusesTakeEachKindsDefault) {
  RuleConfig rule;
  rule.kind = RuleKind::kRatio;
  const RuleParams ratio = resolveParams(rule);
  EXPECT_TRUE(ratio.failures.contains(503));
  EXPECT_FALSE(ratio.failures.contains(500));
  EXPECT_DOUBLE_EQ(ratio.ratio, kDefaultRatio);  // neither ratio nor count set
  rule.kind = RuleKind::kConsecutive;
  const RuleParams consecutive = resolveParams(rule);
  EXPECT_TRUE(consecutive.failures.contains(502));
  EXPECT_TRUE(consecutive.failures.contains(504));
  EXPECT_FALSE(consecutive.failures.contains(503));
  EXPECT_EQ(consecutive.count, kDefaultConsecutiveCount);
  rule.kind = RuleKind::kBurnRate;
  const RuleParams burn = resolveParams(rule);
  EXPECT_TRUE(burn.failures.contains(500));
  EXPECT_TRUE(burn.failures.contains(599));
  EXPECT_FALSE(burn.failures.contains(499));
  EXPECT_EQ(burn.burn_windows.size(), 2u);
}

TEST(TopK, KeepsTheHeavyHittersOfALongTail) {
  TopK top;
  for (int round = 0; round < 50; ++round) {
    top.add("/pay");
    if (round % 2 == 0) top.add("/join/user-form");
    top.add("/tail/" + std::to_string(round));  // 50 distinct, once each
  }
  const auto best = top.top(2);
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].name, "/pay");
  EXPECT_GE(best[0].count, 50u);
  EXPECT_EQ(best[1].name, "/join/user-form");
  EXPECT_EQ(top.top().size(), TopK::kReported);
}

TEST(GroupKeyBuffer, CutsLongValuesAtACharacterBoundary) {
  GroupKeyBuffer key;
  std::string host(kMaxHostKeyBytes - 1, 'a');
  host += "\xC3\x84";  // 'Ä' straddles the bound
  key.append(host, kMaxHostKeyBytes);
  key.append("/x", kMaxPathKeyBytes);
  const auto pairs = decodeGroupKey(key.view(), {GroupKey::kHost, GroupKey::kPath});
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].second, std::string(kMaxHostKeyBytes - 1, 'a'));
  EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"path", "/x"}));
}

TEST(GroupKeyBuffer, HugeValuesNeverOverflowTheBuffer) {
  GroupKeyBuffer key;
  const std::string path(1 << 20, '/');
  for (int i = 0; i < 10; ++i) key.append(path, kMaxPathKeyBytes);
  EXPECT_LE(key.view().size(), kMaxGroupKeyBytes);
}

TEST(GroupTable, EvictsTheLeastRecentlySeenQuietGroupBeforeAnOpenOne) {
  GroupTable table(2);
  Group& a = *table.findOrCreate("a").group;
  table.setOpen(a, true);  // firing
  table.findOrCreate("b");
  table.findOrCreate("c");  // evicts b: a is open
  EXPECT_FALSE(table.findOrCreate("a").created);
  EXPECT_FALSE(table.findOrCreate("c").created);
  const auto b = table.findOrCreate("b");  // evicts c, the only quiet one
  EXPECT_TRUE(b.created);
  EXPECT_FALSE(b.evicted_open);
  EXPECT_EQ(table.size(), 2u);
  table.setOpen(*b.group, true);
  const auto d = table.findOrCreate("d");  // every group open: the least recent goes
  EXPECT_TRUE(d.evicted_open);
  EXPECT_TRUE(table.findOrCreate("b").group != nullptr);
}

TEST(IncidentState, PendingFiresAfterForAndCancelsWhenCleared) {
  IncidentState s;
  const IncidentTimers timers{30s, 120s, 4h};
  EXPECT_EQ(s.step(kT0, true, kT0, kT0 - 5s, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(s.phase(), Phase::kPending);
  EXPECT_EQ(s.step(kT0 + 10s, false, kT0 + 10s, {}, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(s.phase(), Phase::kOk);

  EXPECT_EQ(s.step(kT0 + 20s, true, kT0 + 20s, kT0 + 19s, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(s.step(kT0 + 55s, true, kT0 + 55s, {}, std::nullopt, timers), EventKind::kFiring);
  EXPECT_EQ(s.firedAt(), kT0 + 50s);  // when `for` elapsed, not when it was noticed
  EXPECT_EQ(s.startedAt(), kT0 + 19s);
}

TEST(IncidentState, ResolvesOnlyOnSuccessesSpanningResolveAfter) {
  IncidentState s;
  const IncidentTimers timers{0s, 120s, 0s};
  EXPECT_EQ(s.step(kT0, true, kT0, kT0, std::nullopt, timers), EventKind::kFiring);
  // Condition clear but no traffic: never resolved, however long.
  EXPECT_EQ(s.step(kT0 + 24h, false, kT0 + 24h, {}, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(s.step(kT0 + 25h, false, kT0 + 25h, {}, kT0 + 25h, timers), std::nullopt);
  // Failing again: healthy traffic starts over.
  EXPECT_EQ(s.step(kT0 + 25h + 60s, true, kT0 + 25h + 60s, {}, std::nullopt, timers), std::nullopt);
  EXPECT_EQ(s.step(kT0 + 25h + 150s, false, {}, {}, kT0 + 25h + 150s, timers), std::nullopt);
  EXPECT_EQ(s.step(kT0 + 25h + 270s, false, {}, {}, kT0 + 25h + 270s, timers),
            EventKind::kResolved);
  EXPECT_EQ(s.resolvedAt(), kT0 + 25h + 270s);
}

TEST(IncidentId, DependsOnRuleGroupAndStart) {
  const std::vector<std::pair<std::string, std::string>> group{{"source", "site"}};
  const std::string id = incidentId("down", group, kT0);
  EXPECT_EQ(id, incidentId("down", group, kT0));
  EXPECT_NE(id, incidentId("down", group, kT0 + 1ms));
  EXPECT_NE(id, incidentId("rate", group, kT0));
  EXPECT_NE(id, incidentId("down", {{"source", "other"}}, kT0));
  EXPECT_NE(incidentId("ab", {{"c", ""}}, kT0), incidentId("a", {{"bc", ""}}, kT0));
}

}  // namespace
}  // namespace gw
