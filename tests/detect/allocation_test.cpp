// "No allocation per log line on hot paths": counts every operator new while a warmed-up
// detector takes a few minutes of traffic, failures included.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "timeline.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// AddressSanitizer owns operator new and delete (and gtest's shared library uses its pair): the
// count is taken in the plain build only.
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

namespace gw::test {
namespace {

using namespace std::chrono_literals;

TEST(Allocation, SteadyStateAllocatesNothingPerRecord) {
#ifndef GW_COUNT_ALLOCATIONS
  GTEST_SKIP() << "allocations are counted in the build without AddressSanitizer";
#endif
  std::vector<RuleConfig> rules = defaultRules();
  RuleConfig per_path = ratioRule("per-path");
  per_path.group_by = {GroupKey::kPath};
  rules.push_back(per_path);
  Timeline t(rules);
  t.events.reserve(64);
  static constexpr std::string_view kPaths[] = {"/join/user-form", "/api/ride/end",
                                                "/api/join/user", "/api/insurance/quote"};
  auto mix = [](int i) {
    Req r = i % 7 == 0 ? badGateway() : ok();  // 14%: the site-wide ratio rule fires and stays
    r.path = kPaths[i % 4];
    return r;
  };
  t.traffic(3min, 10ms, mix);  // warm up: groups, windows, top-K slots, the firing
  ASSERT_FALSE(t.firings().empty());

  const std::size_t events_before = t.events.size();
  g_allocations = 0;
  g_counting = true;
  t.traffic(3min, 10ms, mix);  // 18,000 records and 180 ticks
  g_counting = false;
  EXPECT_EQ(t.events.size(), events_before) << "no new events: none of their allocations counted";
  EXPECT_EQ(g_allocations.load(), 0u);
}

}  // namespace
}  // namespace gw::test
