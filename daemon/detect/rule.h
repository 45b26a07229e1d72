// Rule: one configured rule at work — its groups (bounded), each group's window and incident
// state machine — turning records into incident events. Kind-specific judgement lives in the
// RuleWindow subclasses; everything shared by the kinds lives here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detect/detector.h"
#include "detect/group_table.h"
#include "detect/incident_state.h"
#include "detect/rule_params.h"

namespace gw {

class Rule {
 public:
  // `source_names` and `counters` belong to the Detector and outlive the rule.
  Rule(RuleConfig config, const std::vector<std::string>& source_names, DetectorCounters& counters);

  // `t`: the record's time (already clamped); `now`: the detector's time, never earlier than t.
  void observe(std::size_t source, const AccessRecord& record, Timestamp t, Timestamp now,
               std::vector<IncidentEvent>& out);
  void observeError(std::size_t source, const ErrorRecord& record, Timestamp t, Timestamp now,
                    std::vector<IncidentEvent>& out);
  // Advances the open groups (and, for silence, every group) to `now`.
  void tick(Timestamp now, std::vector<IncidentEvent>& out);

  // Fires the event's group again as the incident the event records (Detector::restoreIncident):
  // false when the group cannot be formed under this rule or already holds an open incident.
  bool restore(const IncidentEvent& event);

  // A firing event for each incident now firing.
  void openIncidents(Timestamp now, std::vector<IncidentEvent>& out) const;
  std::size_t groupCount() const { return groups_.size(); }
  const std::string& name() const { return params_.config.name; }

 private:
  bool appliesTo(std::size_t source) const { return source < applies_.size() && applies_[source]; }
  // The index of a configured source this rule applies to, by name.
  std::optional<std::size_t> sourceNamed(std::string_view name) const;
  Group& groupFor(std::string_view key);
  void noteFailure(Group& group, Timestamp t, std::string_view path, std::string_view upstream);
  void evaluate(Group& group, Timestamp now, std::optional<Timestamp> success,
                std::vector<IncidentEvent>& out);
  IncidentEvent buildEvent(const Group& group, EventKind kind, Timestamp now) const;
  const std::vector<GroupKey>& groupBy() const;

  RuleParams params_;  // the windows keep a reference: a Rule is never moved (held by pointer)
  IncidentTimers timers_;
  const std::vector<std::string>& source_names_;
  std::vector<bool> applies_;  // by source index
  GroupTable groups_;
  DetectorCounters& counters_;
  std::vector<uint32_t> scratch_;  // open groups during tick(), kept to avoid reallocating
};

}  // namespace gw
