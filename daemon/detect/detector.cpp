#include "detect/detector.h"

#include <algorithm>

#include "detect/rule.h"

namespace gw {

struct Detector::Impl {
  std::vector<std::string> source_names;
  DetectorOptions options;
  DetectorCounters counters;
  std::vector<std::unique_ptr<Rule>> rules;  // by pointer: rules hold references into Impl
  std::vector<IncidentEvent> events;
  Timestamp clock{};  // the latest time seen (records, ticks): the detector's time never goes back
  bool has_clock = false;

  // The time a record is counted at: its own, unless it has none or is further from `now`
  // than max_skew (live only), when `now` stands in for it.
  Timestamp recordTime(bool has_time, Timestamp t, Timestamp now) {
    if (!has_time) {
      ++counters.skew_clamped;
      return now;
    }
    if (options.max_skew > Millis(0) &&
        (t > now + options.max_skew || t < now - options.max_skew)) {
      ++counters.skew_clamped;
      return now;
    }
    return t;
  }

  Timestamp advanceClock(Timestamp t) {
    if (!has_clock || t > clock) clock = t;
    has_clock = true;
    return clock;
  }
};

Detector::Detector(std::vector<RuleConfig> rules, std::vector<std::string> source_names,
                   DetectorOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->source_names = std::move(source_names);
  impl_->options = options;
  for (RuleConfig& rule : rules) {
    impl_->rules.push_back(
        std::make_unique<Rule>(std::move(rule), impl_->source_names, impl_->counters));
  }
}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

void Detector::observe(std::size_t source, const AccessRecord& record, Timestamp now) {
  Impl& d = *impl_;
  ++d.counters.records;
  if (source >= d.source_names.size()) {
    ++d.counters.unknown_source;
    return;
  }
  const Timestamp t = d.recordTime(record.has_time, record.time, now);
  const Timestamp at = d.advanceClock(std::max(t, now));
  for (auto& rule : d.rules) rule->observe(source, record, t, at, d.events);
}

void Detector::observeError(std::size_t source, const ErrorRecord& record, Timestamp now) {
  Impl& d = *impl_;
  ++d.counters.error_records;
  if (source >= d.source_names.size()) {
    ++d.counters.unknown_source;
    return;
  }
  const Timestamp t = d.recordTime(true, record.time, now);
  const Timestamp at = d.advanceClock(std::max(t, now));
  for (auto& rule : d.rules) rule->observeError(source, record, t, at, d.events);
}

void Detector::tick(Timestamp now) {
  Impl& d = *impl_;
  const Timestamp at = d.advanceClock(now);
  for (auto& rule : d.rules) rule->tick(at, d.events);
}

std::vector<IncidentEvent> Detector::takeEvents() {
  std::vector<IncidentEvent> out;
  out.swap(impl_->events);
  return out;
}

std::vector<IncidentEvent> Detector::openIncidents() const {
  std::vector<IncidentEvent> out;
  for (const auto& rule : impl_->rules) rule->openIncidents(impl_->clock, out);
  return out;
}

bool Detector::restoreIncident(const IncidentEvent& event, Timestamp now) {
  Impl& d = *impl_;
  if (event.kind == EventKind::kResolved) return false;  // nothing left to continue
  for (auto& rule : d.rules) {
    if (rule->name() != event.rule) continue;
    if (!rule->restore(event)) return false;
    d.advanceClock(now);
    return true;
  }
  return false;
}

const DetectorCounters& Detector::counters() const { return impl_->counters; }

std::size_t Detector::groupCount() const {
  std::size_t n = 0;
  for (const auto& rule : impl_->rules) n += rule->groupCount();
  return n;
}

}  // namespace gw
