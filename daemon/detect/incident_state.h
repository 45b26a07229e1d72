// IncidentState: the state machine of one rule × group.
//
//   ok ──condition met──► pending ──met for `for`──► firing ──► reminder every repeat_interval
//    ▲                      │ condition clears (cancelled)    │
//    └──────────────────────┘                                 │ condition clear, and successful
//    ◄──────────────────────────── resolved ◄─────────────────┘ requests spanning resolve_after
//
// An open incident is never resolved because traffic stopped: only successful requests, seen
// while the condition is false, move it towards resolved — the first at healthy_since, and one
// at least resolve_after later resolves it. A success logged at or before the incident's
// started_at (an out-of-order line, a log tail read again after a restart) is not healthy
// traffic: it says nothing about the incident. Pure: every step is given its time.
#pragma once

#include <cstdint>
#include <optional>

#include "common/time.h"
#include "detect/incident_event.h"

namespace gw {

enum class Phase : uint8_t { kOk, kPending, kFiring };

struct IncidentTimers {
  Millis for_duration{0};
  Millis resolve_after{0};
  Millis repeat_interval{0};  // zero: no reminders
};

class IncidentState {
 public:
  // One evaluation at `now`. `met` and `since`: the rule's condition and since when it holds.
  // `started_at`: when an incident beginning at this step began (read only when one begins).
  // `success`: the time of a successful request counted at this step, if any.
  // Returns the event this step produces.
  std::optional<EventKind> step(Timestamp now, bool met, Timestamp since, Timestamp started_at,
                                std::optional<Timestamp> success, const IncidentTimers& timers);

  Phase phase() const { return phase_; }
  bool open() const { return phase_ != Phase::kOk; }
  bool firing() const { return phase_ == Phase::kFiring; }

  // Of the current incident, or of the last one once it is resolved.
  Timestamp startedAt() const { return started_at_; }
  Timestamp firedAt() const { return fired_at_; }
  std::optional<Timestamp> resolvedAt() const { return resolved_at_; }

  void reset() { *this = IncidentState{}; }

  // Firing again after a restart, as the incident recorded before it: `last_notice` is the
  // time of its last firing or reminder event, from which reminders continue.
  void restore(Timestamp started_at, Timestamp fired_at, Timestamp last_notice);

 private:
  Phase phase_ = Phase::kOk;
  Timestamp started_at_{};
  Timestamp pending_since_{};
  Timestamp fired_at_{};
  Timestamp last_notice_{};                 // firing or the last reminder
  std::optional<Timestamp> healthy_since_;  // first success while the condition was false
  std::optional<Timestamp> last_success_;
  std::optional<Timestamp> resolved_at_;
};

}  // namespace gw
