// "No allocation per log line on hot paths": counts every operator new while warmed-up
// MinuteCounters take lines in order, out of order and spilling, and are drained.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "pipeline/minute_counters.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// AddressSanitizer owns operator new and delete: the count is taken in the plain build only.
#if defined(__SANITIZE_ADDRESS__)
#define GW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GW_ASAN 1
#endif
#endif

#ifndef GW_ASAN
#define GW_COUNT_ALLOCATIONS 1

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed))
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// g++ 12 sees malloc behind our operator new and free behind our operator delete, and warns
// that they mismatch: they are the pair that replaces the global ones, which is the point.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

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
