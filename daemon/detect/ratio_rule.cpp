// ratio: failures / requests over a sliding window, with a floor of requests below which it
// gives no verdict (a 1-in-3 failure on a quiet minute says nothing).
#include <cstdint>

#include "detect/rule_window.h"

namespace gw {
namespace {

// Floating-point slack when comparing a ratio to its threshold: 1/20 must reach 0.05.
constexpr double kRatioEpsilon = 1e-12;

class RatioWindow final : public RuleWindow {
 public:
  explicit RatioWindow(const RuleParams& params)
      : params_(params), window_(params.config.window, true) {}

  void clear() override { window_.clear(); }
  bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) override {
    window_.advance(now);
    return window_.add(t, failure, status);
  }

  Condition evaluate(Timestamp now) override {
    window_.advance(now);
    return {met(), now};
  }

  // The first failure of the run of buckets whose failure ratio reached the rule's, when the
  // condition became true: exact when the site was clean before the storm, and on a busy site
  // with a trickle of background failures it skips those instead of naming one a window early.
  Timestamp startedAt(Timestamp now) const override {
    const double threshold = params_.ratio > 0 ? params_.ratio : 0.0;
    return window_.onsetOfFailures(now, threshold).value_or(now);
  }

  const TrafficWindow& stats() const override { return window_; }

  std::string detail(Timestamp now) const override {
    const WindowSnapshot s = window_.at(now);
    const double ratio = s.requests ? double(s.failures) / double(s.requests) : 0.0;
    std::string text = formatCount(s.failures) + " of " + formatCount(s.requests) +
                       " requests failed (" + formatPercent(ratio) + ") in " +
                       formatSpan(params_.config.window) + "; fires at ";
    if (params_.ratio > 0) text += formatPercent(params_.ratio);
    if (params_.ratio > 0 && params_.count > 0) text += " and ";
    if (params_.count > 0) text += formatCount(params_.count) + " failures";
    text += " with at least " + formatCount(params_.config.min_requests) + " requests";
    return text;
  }

 private:
  bool met() const {
    const uint64_t requests = window_.requests();
    const uint64_t failures = window_.failures();
    if (requests == 0 || requests < params_.config.min_requests) return false;  // no verdict
    // Both thresholds hold when both are set: `count` is a floor of failures under the ratio.
    // Either one alone would misfire — a ratio on a handful of requests, a count on a busy
    // site's background (0.3% of 60,000 requests a minute is 180 failures).
    if (params_.ratio > 0 && double(failures) / double(requests) + kRatioEpsilon < params_.ratio) {
      return false;
    }
    return params_.count == 0 || failures >= params_.count;
  }

  const RuleParams& params_;
  TrafficWindow window_;
};

}  // namespace

std::unique_ptr<RuleWindow> makeRatioWindow(const RuleParams& params) {
  return std::make_unique<RatioWindow>(params);
}

}  // namespace gw
