// consecutive: the last `count` requests of a group all failed, and they fall within `within`.
// Made for quiet sites — the incident's own server had a request every few minutes, where no
// ratio rule with a floor of requests ever fires. It judges only while the group is quiet (fewer
// than `quiet_below` requests in the last `window`): on busy traffic a run of three failures is
// background noise, and an outage there is the ratio rule's to report — once, not twice.
#include <algorithm>
#include <vector>

#include "detect/rule_window.h"

namespace gw {
namespace {

class ConsecutiveWindow final : public RuleWindow {
 public:
  explicit ConsecutiveWindow(const RuleParams& params)
      : params_(params),
        stats_(params.config.within, true),
        traffic_(params.config.window, false),
        recent_(static_cast<std::size_t>(params.count)) {}

  void clear() override {
    stats_.clear();
    traffic_.clear();
    run_length_ = 0;
    next_ = 0;
  }

  // The run is kept in arrival order: "the last N requests" are the last N lines nginx wrote.
  bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) override {
    stats_.advance(now);
    traffic_.advance(now);
    traffic_.add(t, failure, status);
    const bool in_window = stats_.add(t, failure, status);
    if (!failure) {
      run_length_ = 0;
      return in_window;
    }
    run_start_ = run_length_ == 0 ? t : std::min(run_start_, t);
    ++run_length_;
    recent_[next_] = t;
    next_ = (next_ + 1) % recent_.size();
    return in_window;
  }

  Condition evaluate(Timestamp now) override {
    stats_.advance(now);
    traffic_.advance(now);
    return {met(), now};
  }

  // The first failure of the run: no request between it and now succeeded, so the group has
  // been failing since then, however long before the last N it was.
  Timestamp startedAt(Timestamp now) const override { return run_length_ > 0 ? run_start_ : now; }

  const TrafficWindow& stats() const override { return stats_; }

  std::string detail(Timestamp /*now*/) const override {
    std::string text = formatCount(run_length_) + " consecutive failed requests";
    if (run_length_ >= recent_.size()) {
      text += ", the last " + formatCount(recent_.size()) + " within " + formatSpan(lastSpan());
    }
    return text;
  }

 private:
  // From the oldest to the newest of the last N failures (the ring is full when called).
  Millis lastSpan() const {
    const Timestamp oldest = recent_[next_];
    const Timestamp newest = recent_[(next_ + recent_.size() - 1) % recent_.size()];
    return newest > oldest ? newest - oldest : Millis(0);
  }

  bool quiet() const {
    return params_.config.quiet_below == 0 || traffic_.requests() < params_.config.quiet_below;
  }
  bool met() const {
    return run_length_ >= recent_.size() && lastSpan() <= params_.config.within && quiet();
  }

  const RuleParams& params_;
  TrafficWindow stats_;            // over `within`, for the event's numbers
  TrafficWindow traffic_;          // over `window`: is the group quiet enough for this rule?
  std::vector<Timestamp> recent_;  // the times of the last N failures of the run, a ring
  std::size_t next_ = 0;           // where the next failure goes: the oldest once full
  uint64_t run_length_ = 0;        // failures since the last success
  Timestamp run_start_{};
};

}  // namespace

std::unique_ptr<RuleWindow> makeConsecutiveWindow(const RuleParams& params) {
  return std::make_unique<ConsecutiveWindow>(params);
}

}  // namespace gw
