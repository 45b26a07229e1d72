// Detector throughput: records/s through the default rules (upstream-down, consecutive; and
// upstream-failure-rate, ratio), grouped by source and grouped by path over 1,000 paths, with a
// tick every simulated second as the daemon does. A thousand records are built once and replayed
// with their time moved forward (the parser, too, refills one record that stays in cache), so
// what is measured is the detector alone.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "detect/detector.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kRecords = 100'000;  // one pass: 100 s of a 1,000 req/s site
constexpr std::size_t kDistinct = 1'000;   // records built, replayed in turn
constexpr std::size_t kPaths = 1'000;
constexpr std::size_t kFailureEvery = 200;  // 0.5% 502s: below 5%, but 10 a minute trips `count`
constexpr Millis kSpacing{1};               // 1,000 requests per second

struct Corpus {
  std::vector<std::string> paths;
  std::vector<AccessRecord> records;

  Corpus() {
    for (std::size_t i = 0; i < kPaths; ++i)
      paths.push_back("/api/v1/resource/" + std::to_string(i));
    records.resize(kDistinct);
    for (std::size_t i = 0; i < kDistinct; ++i) {
      AccessRecord& r = records[i];
      const bool failed = i % kFailureEvery == 0;
      r.has_time = true;
      r.status = failed ? 502 : 200;
      r.method = "GET";
      r.path = paths[(i * 7919) % kPaths];  // every path, in a scattered order
      r.host = "api.example.com";
      r.upstream_reach = UpstreamReach::kReached;
      r.first_upstream_addr = "127.0.0.1:8080";
      r.upstream_addr_raw = "127.0.0.1:8080";
      r.upstream_statuses[0] = r.status;
      r.upstream_status_count = 1;
    }
  }
};

void runDetector(benchmark::State& state, std::vector<RuleConfig> rules) {
  static Corpus corpus;
  Detector detector(std::move(rules), {"site"}, DetectorOptions{});
  Timestamp now = Timestamp(std::chrono::sys_days(std::chrono::year(2022) / 11 / 16));
  Timestamp next_tick = now + 1s;
  std::size_t events = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kRecords; ++i) {
      AccessRecord& r = corpus.records[i % kDistinct];
      now += kSpacing;
      r.time = now;
      detector.observe(0, r, now);
      if (now >= next_tick) {
        detector.tick(now);
        events += detector.takeEvents().size();
        next_tick += 1s;
      }
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kRecords));
  state.counters["groups"] = double(detector.groupCount());
  state.counters["events"] = double(events);
}

void BM_DefaultRulesBySource(benchmark::State& state) { runDetector(state, defaultRules()); }

void BM_DefaultRulesByPath(benchmark::State& state) {
  std::vector<RuleConfig> rules = defaultRules();
  for (RuleConfig& rule : rules) rule.group_by = {GroupKey::kPath};
  runDetector(state, rules);
}

BENCHMARK(BM_DefaultRulesBySource)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DefaultRulesByPath)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
