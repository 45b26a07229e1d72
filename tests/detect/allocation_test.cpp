// "No allocation per log line on hot paths": counts every operator new while a warmed-up
// detector takes a few minutes of traffic, failures included.
#include <gtest/gtest.h>

#include <atomic>

#include "../common/allocation_counter.h"
#include "timeline.h"

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
