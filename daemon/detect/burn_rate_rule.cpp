// burn_rate: multi-window, multi-burn-rate alerting on an error budget (Google SRE workbook,
// ch. 5). For each configured pair, the error ratio over the long and over the short window must
// both exceed factor × (1 − objective): the long window makes it significant, the short one
// makes it current, so the alert stops soon after the errors do.
#include <cstdio>
#include <vector>

#include "detect/rule_window.h"

namespace gw {
namespace {

class BurnRateWindow final : public RuleWindow {
 public:
  explicit BurnRateWindow(const RuleParams& params) : params_(params) {
    // One window per distinct span; the first pair's long window also keeps the statuses and
    // is the one events report.
    for (const BurnWindow& bw : params.burn_windows) {
      pairs_.push_back({windowFor(bw.long_window), windowFor(bw.short_window), bw.factor});
    }
  }

  void clear() override {
    for (TrafficWindow& w : windows_) w.clear();
  }

  bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) override {
    bool counted = true;
    for (TrafficWindow& w : windows_) {
      w.advance(now);
      counted = w.add(t, failure, status) && counted;
    }
    return counted;
  }

  Condition evaluate(Timestamp now) override {
    for (TrafficWindow& w : windows_) w.advance(now);
    firing_pair_ = -1;
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      if (pairMet(pairs_[i])) {
        firing_pair_ = static_cast<int>(i);
        break;
      }
    }
    return {firing_pair_ >= 0, now};
  }

  // The earliest failure in the short window of the pair that fired: the long window may hold
  // an hour of scattered failures, the short one holds the start of what is burning now.
  Timestamp startedAt(Timestamp now) const override {
    const Pair& pair = pairs_[firing_pair_ >= 0 ? std::size_t(firing_pair_) : 0];
    return windows_[pair.short_index].earliestFailure(now).value_or(now);
  }

  const TrafficWindow& stats() const override { return windows_[0]; }

  std::string detail(Timestamp now) const override {
    const double budget = 1.0 - params_.config.objective;
    std::string text;
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      const Pair& pair = pairs_[i];
      const BurnWindow& bw = params_.burn_windows[i];
      const double long_burn = ratioOf(windows_[pair.long_index].at(now)) / budget;
      const double short_burn = ratioOf(windows_[pair.short_index].at(now)) / budget;
      if (!text.empty()) text += "; ";
      text += "burn " + formatRate(long_burn) + " over " + formatSpan(bw.long_window) + " and " +
              formatRate(short_burn) + " over " + formatSpan(bw.short_window) + " (fires above " +
              formatRate(pair.factor) + ")";
    }
    return text + ", objective " + formatPercent(params_.config.objective);
  }

 private:
  struct Pair {
    std::size_t long_index;
    std::size_t short_index;
    double factor;
  };

  std::size_t windowFor(Millis span) {
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      if (spans_[i] == span) return i;
    }
    spans_.push_back(span);
    windows_.emplace_back(span, windows_.empty());
    return windows_.size() - 1;
  }

  static double ratioOf(const WindowSnapshot& s) {
    return s.requests ? double(s.failures) / double(s.requests) : 0.0;
  }
  static double ratioOf(const TrafficWindow& w) {
    return w.requests() ? double(w.failures()) / double(w.requests()) : 0.0;
  }
  static std::string formatRate(double rate) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3gx", rate);
    return buf;
  }

  bool pairMet(const Pair& pair) const {
    const TrafficWindow& long_window = windows_[pair.long_index];
    // The floor of requests applies to the long window: one failed request on an idle night is
    // a 100% error ratio, not a burning budget.
    if (long_window.requests() == 0 || long_window.requests() < params_.config.min_requests) {
      return false;
    }
    const double threshold = pair.factor * (1.0 - params_.config.objective);
    return ratioOf(long_window) > threshold && ratioOf(windows_[pair.short_index]) > threshold;
  }

  const RuleParams& params_;
  std::vector<Millis> spans_;
  std::vector<TrafficWindow> windows_;  // windows_[i] covers spans_[i]
  std::vector<Pair> pairs_;
  int firing_pair_ = -1;  // the first pair met at the last evaluate()
};

}  // namespace

std::unique_ptr<RuleWindow> makeBurnRateWindow(const RuleParams& params) {
  return std::make_unique<BurnRateWindow>(params);
}

}  // namespace gw
