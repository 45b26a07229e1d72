#include "detect/rule_params.h"

#include <algorithm>

namespace gw {
namespace {

bool groupsByUpstream(const RuleConfig& config) {
  return std::find(config.group_by.begin(), config.group_by.end(), GroupKey::kUpstream) !=
         config.group_by.end();
}

}  // namespace

RuleParams resolveParams(RuleConfig config) {
  using namespace std::chrono_literals;
  RuleParams p;
  p.resolve_after = config.resolve_after;
  p.max_groups = config.max_groups > 0 ? config.max_groups : kDefaultMaxGroups;
  p.judge = groupsByUpstream(config) ? Judge::kFirstUpstream : Judge::kFinalStatus;

  for (uint16_t s : config.statuses) p.failures.add(s);
  if (p.failures.empty()) {
    // The defaults config.h documents for an empty `statuses`.
    if (config.kind == RuleKind::kBurnRate) {
      p.failures.addRange(500, 599);  // an SLO counts every server error
    } else if (config.kind == RuleKind::kConsecutive) {
      p.failures = {502, 504};  // the upstream down; a run of 503s is more often a limit
    } else {
      p.failures = {502, 503, 504};  // the upstream failing (product.md, What counts)
    }
  }

  switch (config.kind) {
    case RuleKind::kRatio:
      if (config.ratio) p.ratio = *config.ratio;
      if (config.count) p.count = *config.count;
      if (!config.ratio && !config.count) p.ratio = kDefaultRatio;
      break;
    case RuleKind::kConsecutive:
      p.count = std::clamp<uint64_t>(config.count.value_or(kDefaultConsecutiveCount), 1,
                                     kMaxConsecutiveCount);
      break;
    case RuleKind::kBurnRate:
      p.burn_windows = config.burn_windows;
      if (p.burn_windows.empty()) {
        // Google SRE workbook ch. 5, the page-worthy pairs: 2% of a 30-day budget in 1h, 5% in 6h.
        p.burn_windows = {{1h, 5min, 14.4}, {6h, 30min, 6}};
      }
      break;
    case RuleKind::kErrorLog:
      p.count = std::max<uint64_t>(config.count.value_or(kDefaultErrorLogCount), 1);
      p.judge =
          Judge::kFinalStatus;  // grouped by source only; access lines are its healthy traffic
      break;
    case RuleKind::kSilence:
      p.judge = Judge::kEveryRecord;
      p.resolve_after = 0ms;
      break;
  }
  p.config = std::move(config);
  return p;
}

}  // namespace gw
