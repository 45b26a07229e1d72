// RuleParams: a rule's configuration with every default and bound applied, computed once when
// the detector is built, so the per-record code never has to ask "was this set?".
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "detect/request_outcome.h"

namespace gw {

// A consecutive rule keeps the times of its last `count` failures per group: the bound keeps a
// group's memory small whatever the config says.
constexpr uint64_t kMaxConsecutiveCount = 1000;
// Defaults for keys a rule kind needs but the config left unset.
constexpr double kDefaultRatio = 0.05;
constexpr uint64_t kDefaultConsecutiveCount = 3;
constexpr uint64_t kDefaultErrorLogCount = 1;
constexpr std::size_t kDefaultMaxGroups = 10'000;

struct RuleParams {
  RuleConfig config;   // as given, for names, sinks, durations
  StatusSet failures;  // the statuses that count as failures
  Judge judge = Judge::kFinalStatus;
  uint64_t count = 0;  // consecutive: N; error_log: matches in the window; ratio: 0 = unset
  double ratio = 0;    // ratio: 0 = unset
  std::vector<BurnWindow> burn_windows;  // burn_rate, with the workbook's defaults when unset
  Millis resolve_after{};                // silence: zero, one request ends a silence
  std::size_t max_groups = kDefaultMaxGroups;
};

RuleParams resolveParams(RuleConfig config);

}  // namespace gw
