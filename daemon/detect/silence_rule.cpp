// silence: no requests for `after`, following at least `min_previous` requests in the `after`
// span before the last one. Every record counts as traffic here, nginx's own answers included:
// the question is whether clients still arrive. The one rule that resolves on traffic arriving.
#include <algorithm>

#include "detect/rule_window.h"

namespace gw {
namespace {

class SilenceWindow final : public RuleWindow {
 public:
  explicit SilenceWindow(const RuleParams& params)
      : params_(params), window_(params.config.after, true) {}

  void clear() override {
    window_.clear();
    seen_ = false;
    previous_ = 0;
    previous_restored_ = false;
  }

  bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) override {
    window_.advance(now);
    const bool counted = window_.add(t, failure, status);
    // A restored silence keeps its figure against lines from before it (a log tail read again):
    // only a request after its last one is news.
    if (previous_restored_ && t <= last_) return counted;
    last_ = seen_ ? std::max(last_, t) : t;
    seen_ = true;
    previous_ = window_.requests();  // the `after` span ending at the newest request
    previous_restored_ = false;
    return counted;
  }

  // The silence began after the incident's started_at, its last request; the count before it
  // went with the restart, but it fired, so it was at least min_previous.
  void restore(const IncidentEvent& event) override {
    last_ = event.started_at;
    seen_ = true;
    previous_ = params_.config.min_previous;
    previous_restored_ = true;
  }

  // Met from the moment `after` has passed since the last request: `since` says so exactly,
  // whenever the tick that notices comes.
  Condition evaluate(Timestamp now) override {
    const Timestamp silent_from = last_ + params_.config.after;
    const bool met = seen_ && now >= silent_from && previous_ >= params_.config.min_previous;
    window_.advance(now);
    return {met, met ? silent_from : now};
  }

  // The last request before the silence: traffic stopped right after it.
  Timestamp startedAt(Timestamp now) const override { return seen_ ? last_ : now; }

  const TrafficWindow& stats() const override { return window_; }

  std::string detail(Timestamp now) const override {
    const Millis quiet = seen_ && now > last_ ? now - last_ : Millis(0);
    return "no requests for " + formatSpan(std::chrono::floor<std::chrono::seconds>(quiet)) +
           " after " + (previous_restored_ ? "at least " : "") + formatCount(previous_) +
           " in the " + formatSpan(params_.config.after) + " before";
  }

 private:
  const RuleParams& params_;
  TrafficWindow window_;  // requests over `after`
  Timestamp last_{};      // the newest request seen
  bool seen_ = false;
  uint64_t previous_ = 0;           // requests in the `after` span ending at last_
  bool previous_restored_ = false;  // previous_ is the floor a restored incident implies
};

}  // namespace

std::unique_ptr<RuleWindow> makeSilenceWindow(const RuleParams& params) {
  return std::make_unique<SilenceWindow>(params);
}

}  // namespace gw
