// RuleWindow: what one rule kind remembers about one group, and its verdict on it. One subclass
// per kind (ratio_rule.cpp, consecutive_rule.cpp, ...); the Rule around it owns the groups and
// the incident state machine, so a kind only says "is the condition met, since when, and when
// did the failures that led to it begin".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/time.h"
#include "detect/incident_event.h"
#include "detect/rule_params.h"
#include "detect/traffic_window.h"

namespace gw {

struct Condition {
  bool met = false;
  Timestamp since{};  // when it became met, when the kind knows better than "now" (silence)
};

class RuleWindow {
 public:
  virtual ~RuleWindow() = default;

  // Forget everything: the group was evicted and this window is reused for another.
  virtual void clear() = 0;
  // A request logged at `t`, judged by judgeRequest(), seen when the detector's time is `now`
  // (>= t): the window moves to `now` first. False when `t` is older than the window (out of
  // order by more than its span): left out, the caller counts it as late.
  virtual bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) = 0;
  // A matching error.log line (error_log rules only).
  virtual void addErrorMatch(Timestamp /*t*/, Timestamp /*now*/, std::string_view /*text*/) {}
  // Moves the window to `now` and judges it.
  virtual Condition evaluate(Timestamp now) = 0;
  // When an incident that begins now began: the first failure that led to it.
  virtual Timestamp startedAt(Timestamp now) const = 0;
  // The window an event reports (requests, failures, statuses).
  virtual const TrafficWindow& stats() const = 0;
  // The event's kind-specific text: "3 consecutive failures ...".
  virtual std::string detail(Timestamp now) const = 0;
  // An incident of this group, recorded before a restart, fires again (Rule::restore). The
  // windows start empty — the traffic before the restart is gone — which every kind but silence
  // reads as "not met": the incident stays open until healthy traffic resolves it. Silence
  // needs to know when its traffic stopped.
  virtual void restore(const IncidentEvent& /*event*/) {}
};

std::unique_ptr<RuleWindow> makeRatioWindow(const RuleParams& params);
std::unique_ptr<RuleWindow> makeConsecutiveWindow(const RuleParams& params);
std::unique_ptr<RuleWindow> makeBurnRateWindow(const RuleParams& params);
std::unique_ptr<RuleWindow> makeErrorLogWindow(const RuleParams& params);
std::unique_ptr<RuleWindow> makeSilenceWindow(const RuleParams& params);
std::unique_ptr<RuleWindow> makeRuleWindow(const RuleParams& params);

// error_log: whether an error.log message contains one of the rule's `match` texts.
bool errorLineMatches(const RuleParams& params, std::string_view message);

// For detail texts: "1,234", "60s", "5m", "1h30m", "12.5%".
std::string formatCount(uint64_t n);
std::string formatSpan(Millis span);
std::string formatPercent(double ratio);

}  // namespace gw
