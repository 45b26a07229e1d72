// MinuteCounters as a timeline: lines by their own minute, out of order, far off the clock,
// more distinct minutes than the ring holds, quiet minutes, and what a drain hands over.
#include "pipeline/minute_counters.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

using namespace std::chrono_literals;

// 2022-11-16T11:26:00Z, a minute's first millisecond.
constexpr Timestamp kMinute{Millis{1'668'597'960'000}};

std::vector<MinuteDelta> drained(MinuteCounters& counters) {
  std::vector<MinuteDelta> out;
  counters.drain(out);
  return out;
}

MinuteCounts requestsAt(Timestamp minute, uint64_t requests) {
  MinuteCounts c;
  c.minute = minute;
  c.requests = requests;
  c.s2xx = requests;
  return c;
}

TEST(MinuteCounters, LinesCountInTheMinuteOfTheirOwnTime) {
  MinuteCounters counters(1);
  counters.count(0, kMinute - 1ms, 200);       // the previous minute's last millisecond
  counters.count(0, kMinute, 200);             // this minute's first
  counters.count(0, kMinute + 59'999ms, 200);  // and its last
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].counts, requestsAt(kMinute - 1min, 1));
  EXPECT_EQ(out[1].counts, requestsAt(kMinute, 2));
}

TEST(MinuteCounters, StatusesAreCountedByClassAndGatewayStatus) {
  MinuteCounters counters(1);
  for (uint16_t status : {200, 204, 301, 404, 499, 500, 502, 502, 503, 504, 101, 0})
    counters.count(0, kMinute + 10s, status);
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 1u);
  const MinuteCounts& c = out[0].counts;
  EXPECT_EQ(c.minute, kMinute);
  EXPECT_EQ(c.requests, 12u) << "1xx and a format without $status still count as requests";
  EXPECT_EQ(c.s2xx, 2u);
  EXPECT_EQ(c.s3xx, 1u);
  EXPECT_EQ(c.s4xx, 2u);
  EXPECT_EQ(c.s5xx, 5u);
  EXPECT_EQ(c.failures, 5u);
  EXPECT_EQ(c.s502, 2u);
  EXPECT_EQ(c.s503, 1u);
  EXPECT_EQ(c.s504, 1u);
}

TEST(MinuteCounters, OutOfOrderLinesReturnToTheirMinuteAndDrainIsSorted) {
  MinuteCounters counters(2);
  counters.count(1, kMinute + 1min, 200);
  counters.count(0, kMinute + 2min, 200);
  counters.count(0, kMinute, 200);  // a buffered line, two minutes late
  counters.count(0, kMinute + 2min, 200);
  counters.count(1, kMinute, 200);
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], (MinuteDelta{0, requestsAt(kMinute, 1)}));
  EXPECT_EQ(out[1], (MinuteDelta{0, requestsAt(kMinute + 2min, 2)}));
  EXPECT_EQ(out[2], (MinuteDelta{1, requestsAt(kMinute, 1)}));
  EXPECT_EQ(out[3], (MinuteDelta{1, requestsAt(kMinute + 1min, 1)}));
}

TEST(MinuteCounters, LinesFarFromTheClockKeepTheirOwnMinute) {
  MinuteCounters counters(1);
  counters.count(0, kMinute, 200);
  counters.count(0, kMinute - 24h * 365, 200);  // a year behind (a replayed file)
  counters.count(0, kMinute + 24h, 200);        // a day ahead (a skewed writer)
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].counts.minute, kMinute - 24h * 365);
  EXPECT_EQ(out[1].counts.minute, kMinute);
  EXPECT_EQ(out[2].counts.minute, kMinute + 24h);
  EXPECT_EQ(counters.linesDropped(), 0u);
}

TEST(MinuteCounters, MinutesBeyondTheRingSpillAndComeBackMergedAtDrain) {
  MinuteCounters counters(1, /*slots_per_source=*/2, /*spill_capacity=*/16);
  // A backlog: minute after minute, then a late line for the first minute again.
  for (int m = 0; m < 5; ++m) counters.count(0, kMinute + m * 1min, 200);
  counters.count(0, kMinute + 5s, 200);
  counters.count(0, kMinute + 4min, 200);
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 5u) << "one row per minute, whatever went through the spill";
  EXPECT_EQ(out[0].counts, requestsAt(kMinute, 2));
  for (int m = 1; m < 4; ++m) EXPECT_EQ(out[m].counts, requestsAt(kMinute + m * 1min, 1));
  EXPECT_EQ(out[4].counts, requestsAt(kMinute + 4min, 2));
  EXPECT_EQ(counters.linesDropped(), 0u);
}

TEST(MinuteCounters, TheBusyMinuteStaysInItsSlotWhileStragglersAreEvicted) {
  MinuteCounters counters(1, /*slots_per_source=*/2, /*spill_capacity=*/16);
  for (int i = 0; i < 10; ++i) {
    counters.count(0, kMinute + 30s, 200);
    counters.count(0, kMinute - (i + 1) * 1h, 502);  // a different stale minute each time
  }
  // The busy minute was used last every time: only stale minutes were spilled (one each, the
  // last still in a slot), never the busy one.
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(out.back().counts, requestsAt(kMinute, 10));
}

TEST(MinuteCounters, MemoryIsBoundedAndLinesBeyondItAreCountedAsDropped) {
  MinuteCounters counters(1, /*slots_per_source=*/2, /*spill_capacity=*/4);
  EXPECT_FALSE(counters.flushDue());
  for (int m = 0; m < 4; ++m) counters.count(0, kMinute + m * 1min, 200);
  EXPECT_TRUE(counters.flushDue()) << "half the spill area is used: time to flush";
  for (int m = 4; m < 100; ++m) counters.count(0, kMinute + m * 1min, 200);
  // 2 slots + 4 spilled minutes held; every other line had nowhere to go.
  EXPECT_EQ(counters.linesDropped(), 100u - 6u);
  const auto out = drained(counters);
  EXPECT_EQ(out.size(), 6u);
  uint64_t requests = 0;
  for (const auto& d : out) requests += d.counts.requests;
  EXPECT_EQ(requests + counters.linesDropped(), 100u) << "every line counted or dropped";
  // The drain freed everything: counting goes on.
  counters.count(0, kMinute + 200min, 200);
  EXPECT_EQ(counters.linesDropped(), 94u);
  EXPECT_EQ(drained(counters).size(), 1u);
}

TEST(MinuteCounters, AFollowedQuietSourceGetsAZeroMinute) {
  MinuteCounters counters(2);
  counters.touch(0, kMinute + 12s);
  counters.touch(0, kMinute + 40s);  // the same minute: still one row
  counters.touch(1, kMinute + 12s);
  counters.count(1, kMinute + 20s, 200);
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 2u);
  MinuteCounts zero;
  zero.minute = kMinute;
  EXPECT_EQ(out[0], (MinuteDelta{0, zero}));
  EXPECT_EQ(out[1], (MinuteDelta{1, requestsAt(kMinute, 1)}));
}

TEST(MinuteCounters, DrainHandsOverDeltasOnceAndStartsAgain) {
  MinuteCounters counters(1);
  EXPECT_TRUE(counters.empty());
  counters.count(0, kMinute, 200);
  EXPECT_FALSE(counters.empty());
  EXPECT_EQ(drained(counters).size(), 1u);
  EXPECT_TRUE(counters.empty());
  EXPECT_TRUE(drained(counters).empty()) << "a delta is handed over once";
  counters.count(0, kMinute + 1s, 200);  // the same minute after a flush: a new delta of 1
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].counts, requestsAt(kMinute, 1));
}

TEST(MinuteCounters, UnknownSourceIndexIsIgnored) {
  MinuteCounters counters(1);
  counters.count(1, kMinute, 200);
  counters.touch(7, kMinute);
  EXPECT_TRUE(counters.empty());
  MinuteCounters none(0);
  none.count(0, kMinute, 200);
  EXPECT_TRUE(none.empty());
}

TEST(MinuteCounters, TimesBeforeTheEpochFloorToTheirMinute) {
  MinuteCounters counters(1);
  counters.count(0, Timestamp{Millis{-1}}, 200);
  const auto out = drained(counters);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].counts.minute, Timestamp{Millis{-60'000}});
}

}  // namespace
}  // namespace gw
