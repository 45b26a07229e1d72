// Detector: runs every rule over records and turns their conditions into incident events.
// Pure: it never reads a clock; records carry their time and tick() is given "now".
//   detector.observe(source, record, now); auto events = detector.tick(now);
// The detector's time is the latest of the record times and ticks it has seen: it never goes
// back, so out-of-order lines are counted in their own buckets but judged at that latest time.
// Rule kinds, what counts as a failure and the incident state machine are described in
// rule_window.h, request_outcome.h and incident_state.h.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "detect/incident_event.h"
#include "parse/access_record.h"
#include "parse/error_record.h"

namespace gw {

// Live daemons pass this as DetectorOptions::max_skew (product.md, Time).
constexpr Millis kLiveMaxSkew{std::chrono::seconds(60)};

struct DetectorOptions {
  // Live: a record time more than this far from `now` is taken as `now` (buffering, wrong
  // timezone, a skewed clock). Zero (scan): record times are used as they are.
  Millis max_skew{0};
};

struct DetectorCounters {
  uint64_t records = 0;
  uint64_t skew_clamped = 0;  // records whose time was replaced by now
  uint64_t groups_evicted = 0;
  uint64_t open_groups_evicted = 0;  // of those, pending or firing ones (every group was open):
                                     // the incident is dropped without a resolved event
  uint64_t late_records = 0;    // (record, rule) pairs older than the rule's window: left out of it
  uint64_t error_records = 0;   // error.log records observed
  uint64_t unknown_source = 0;  // records whose source index is past source_names: ignored
};

class Detector {
 public:
  // `source_names` lists the sources in id order: observe() takes the index.
  Detector(std::vector<RuleConfig> rules, std::vector<std::string> source_names,
           DetectorOptions options = {});
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // Feed one access record. Events (firing, resolved) may be produced here as well as in tick().
  void observe(std::size_t source, const AccessRecord& record, Timestamp now);
  // Feed one error.log record (error_log rules).
  void observeError(std::size_t source, const ErrorRecord& record, Timestamp now);
  // Advance time: `for` timers, resolve_after, reminders, silence. Call at least every second live.
  void tick(Timestamp now);

  // Events produced since the last call, in order.
  std::vector<IncidentEvent> takeEvents();

  // Incidents currently firing (for status pages and to restore after a restart).
  std::vector<IncidentEvent> openIncidents() const;

  // Re-opens an incident recorded before a restart (the last event history holds of it): its
  // rule's group fires again under the same id, started_at and fired_at, keeps its peak, sends
  // reminders from event.event_at on, and resolves on healthy traffic like any other. False when
  // this config has no such rule or the group cannot be formed (rule renamed, group_by changed),
  // or the group already holds an open incident.
  // Also false for a resolved event, a rule whose kind changed, or a source (the group's, or the
  // event's when the rule is not grouped by source) that is not configured or not read by the
  // rule. Emits no event. `now` advances the detector's time. Restore before refilling windows
  // from the logs' tails: a refill that fired the group first would fire it a second time.
  // Not a hot path: it allocates.
  bool restoreIncident(const IncidentEvent& event, Timestamp now);

  const DetectorCounters& counters() const;
  // Groups held now, over every rule (each rule holds at most its max_groups).
  std::size_t groupCount() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw
