#include "detect/incident_state.h"

#include <algorithm>

namespace gw {

std::optional<EventKind> IncidentState::step(Timestamp now, bool met, Timestamp since,
                                             Timestamp started_at, std::optional<Timestamp> success,
                                             const IncidentTimers& timers) {
  switch (phase_) {
    case Phase::kOk:
      if (!met) return std::nullopt;
      phase_ = Phase::kPending;
      started_at_ = started_at;
      pending_since_ = since;
      resolved_at_.reset();
      [[fallthrough]];

    case Phase::kPending:
      if (!met) {
        phase_ = Phase::kOk;  // cancelled: the condition did not hold for `for`
        return std::nullopt;
      }
      if (now - pending_since_ < timers.for_duration) return std::nullopt;
      phase_ = Phase::kFiring;
      // When `for` elapsed, not when a tick noticed: a replay gives the live daemon's time.
      fired_at_ = pending_since_ + timers.for_duration;
      last_notice_ = now;
      healthy_since_.reset();
      last_success_.reset();
      return EventKind::kFiring;

    case Phase::kFiring:
      if (met) {
        healthy_since_.reset();  // failing again: healthy traffic must start over
      } else if (success && *success > started_at_) {
        if (!healthy_since_) healthy_since_ = *success;
        last_success_ = last_success_ ? std::max(*last_success_, *success) : *success;
        if (*last_success_ - *healthy_since_ >= timers.resolve_after) {
          phase_ = Phase::kOk;
          resolved_at_ = now;
          return EventKind::kResolved;
        }
      }
      if (timers.repeat_interval > Millis(0) && now - last_notice_ >= timers.repeat_interval) {
        last_notice_ = now;
        return EventKind::kReminder;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

void IncidentState::restore(Timestamp started_at, Timestamp fired_at, Timestamp last_notice) {
  *this = IncidentState{};
  phase_ = Phase::kFiring;
  started_at_ = started_at;
  pending_since_ = fired_at;  // read only while pending: kept for a coherent state
  fired_at_ = fired_at;
  last_notice_ = last_notice;
}

}  // namespace gw
