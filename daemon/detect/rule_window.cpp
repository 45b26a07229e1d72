#include "detect/rule_window.h"

#include <cstdio>

namespace gw {

std::unique_ptr<RuleWindow> makeRuleWindow(const RuleParams& params) {
  switch (params.config.kind) {
    case RuleKind::kRatio:
      return makeRatioWindow(params);
    case RuleKind::kConsecutive:
      return makeConsecutiveWindow(params);
    case RuleKind::kBurnRate:
      return makeBurnRateWindow(params);
    case RuleKind::kErrorLog:
      return makeErrorLogWindow(params);
    case RuleKind::kSilence:
      return makeSilenceWindow(params);
  }
  return makeRatioWindow(params);
}

std::string formatCount(uint64_t n) { return groupThousands(n); }

std::string formatSpan(Millis span) {
  int64_t ms = span.count();
  if (ms % 1000 != 0 || ms == 0) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + "s";  // "90s" reads better than "1m30s"
  std::string out;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

std::string formatPercent(double ratio) {
  char buf[32];
  const double pct = ratio * 100.0;
  if (pct == static_cast<double>(static_cast<int64_t>(pct))) {
    std::snprintf(buf, sizeof buf, "%.0f%%", pct);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g%%", pct);
  }
  return buf;
}

}  // namespace gw
