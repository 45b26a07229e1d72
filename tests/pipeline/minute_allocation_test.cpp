// "No allocation per log line on hot paths": counts every operator new while warmed-up
// MinuteCounters take lines in order, out of order and spilling, and are drained.
#include <gtest/gtest.h>

#include <atomic>

#include "../common/allocation_counter.h"
#include "pipeline/minute_counters.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kStart{Millis{1'668'597'960'000}};

TEST(MinuteCountersAllocation, CountingALineAllocatesNothing) {
#ifndef GW_COUNT_ALLOCATIONS
  GTEST_SKIP() << "allocations are counted in the build without AddressSanitizer";
#endif
  constexpr std::size_t kSources = 4;
  MinuteCounters counters(kSources);
  std::vector<MinuteDelta> out;
  auto traffic = [&](Timestamp base) {
    for (int i = 0; i < 20'000; ++i) {
      const std::size_t source = std::size_t(i) % kSources;
      const Timestamp at = base + Millis{i * 7};  // a few seconds of lines per flush
      counters.count(source, at, i % 13 == 0 ? 502 : 200);
      // Late lines, each in one of 17 minutes an hour or more back: the rings spill.
      if (i % 101 == 0) counters.count(source, at - (1 + i % 17) * 1h, 200);
    }
    for (std::size_t s = 0; s < kSources; ++s) counters.touch(s, base);
  };
  // The first flush sizes the drain vector; from then on nothing grows.
  traffic(kStart);
  counters.drain(out);
  out.reserve(out.size() * 4);

  g_allocations = 0;
  g_counting = true;
  for (int flush = 1; flush <= 5; ++flush) {
    traffic(kStart + flush * 5s);
    counters.drain(out);
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_EQ(counters.linesDropped(), 0u);
  EXPECT_FALSE(out.empty());
}

}  // namespace
}  // namespace gw
