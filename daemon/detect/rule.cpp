#include "detect/rule.h"

#include <algorithm>

#include "detect/group_key.h"
#include "detect/incident_id.h"
#include "detect/request_outcome.h"

namespace gw {
namespace {

// error.log "request" field, "GET /x?y HTTP/1.1" -> "/x".
std::string_view requestPath(std::string_view request) {
  const std::size_t start = request.find(' ');
  if (start == std::string_view::npos) return {};
  std::string_view target = request.substr(start + 1);
  target = target.substr(0, target.find(' '));
  return target.substr(0, target.find('?'));
}

// error.log "upstream" field, "http://127.0.0.1:8080/x" -> "127.0.0.1:8080".
std::string_view upstreamAddress(std::string_view upstream) {
  if (const std::size_t scheme = upstream.find("://"); scheme != std::string_view::npos) {
    upstream = upstream.substr(scheme + 3);
  }
  return upstream.substr(0, upstream.find('/'));
}

const std::vector<GroupKey> kBySource{GroupKey::kSource};

}  // namespace

Rule::Rule(RuleConfig config, const std::vector<std::string>& source_names,
           DetectorCounters& counters)
    : params_(resolveParams(std::move(config))),
      timers_{params_.config.for_duration, params_.resolve_after, params_.config.repeat_interval},
      source_names_(source_names),
      applies_(source_names.size(), params_.config.sources.empty()),
      groups_(params_.max_groups),
      counters_(counters) {
  for (const std::string& name : params_.config.sources) {
    for (std::size_t i = 0; i < source_names.size(); ++i) {
      if (source_names[i] == name) applies_[i] = true;
    }
  }
}

const std::vector<GroupKey>& Rule::groupBy() const {
  return params_.config.kind == RuleKind::kErrorLog ? kBySource : params_.config.group_by;
}

void Rule::observe(std::size_t source, const AccessRecord& record, Timestamp t, Timestamp now,
                   std::vector<IncidentEvent>& out) {
  if (!appliesTo(source)) return;
  const RequestOutcome outcome = judgeRequest(record, params_.failures, params_.judge);
  if (!outcome.counted) return;

  GroupKeyBuffer key;
  for (GroupKey k : groupBy())
    key.append(groupValue(k, source_names_[source], record), maxKeyBytes(k));
  Group& group = groupFor(key.view());
  group.source = static_cast<uint32_t>(source);
  group.utc_offset_minutes = record.utc_offset_minutes;

  if (!group.window->addRequest(t, now, outcome.failure, outcome.status)) ++counters_.late_records;
  // error_log rules take their failures from error.log; a failing request there is evidence of
  // the same failure, not another one.
  if (outcome.failure && params_.config.kind != RuleKind::kErrorLog) {
    noteFailure(group, t, record.path, record.first_upstream_addr);
  }
  evaluate(group, now, outcome.failure ? std::nullopt : std::optional<Timestamp>(t), out);
}

void Rule::observeError(std::size_t source, const ErrorRecord& record, Timestamp t, Timestamp now,
                        std::vector<IncidentEvent>& out) {
  if (params_.config.kind != RuleKind::kErrorLog || !appliesTo(source)) return;
  const std::string_view text = record.message.empty() ? record.line : record.message;
  if (!errorLineMatches(params_, text)) return;

  GroupKeyBuffer key;
  key.append(source_names_[source], kMaxSourceKeyBytes);
  Group& group = groupFor(key.view());
  group.source = static_cast<uint32_t>(source);
  group.utc_offset_minutes = record.utc_offset_minutes;

  group.window->addErrorMatch(t, now, text);
  noteFailure(group, t, requestPath(record.request), upstreamAddress(record.upstream));
  evaluate(group, now, std::nullopt, out);
}

void Rule::tick(Timestamp now, std::vector<IncidentEvent>& out) {
  if (params_.config.kind == RuleKind::kSilence) {
    // Silence begins with nothing happening: every group must be looked at.
    for (std::size_t i = 0; i < groups_.size(); ++i)
      evaluate(groups_.at(i), now, std::nullopt, out);
    return;
  }
  // The other kinds change only with records, except that time runs out for `for`, windows
  // empty and reminders fall due: only pending and firing groups need a look.
  groups_.collectOpen(scratch_);
  for (uint32_t index : scratch_) evaluate(groups_.at(index), now, std::nullopt, out);
}

void Rule::openIncidents(Timestamp now, std::vector<IncidentEvent>& out) const {
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const Group& group = groups_.at(i);
    if (group.incident.firing()) out.push_back(buildEvent(group, EventKind::kFiring, now));
  }
}

std::optional<std::size_t> Rule::sourceNamed(std::string_view name) const {
  for (std::size_t i = 0; i < source_names_.size(); ++i) {
    if (source_names_[i] == name && appliesTo(i)) return i;
  }
  return std::nullopt;
}

bool Rule::restore(const IncidentEvent& event) {
  if (event.kind == EventKind::kResolved || event.rule_kind != params_.config.kind) return false;
  const std::vector<GroupKey>& by = groupBy();
  if (event.group.size() != by.size()) return false;  // group_by changed

  // The key observe() builds for the group's records. decodeGroupKey shows an empty value as
  // "-"; the parser never keeps a "-" (it means "absent" in nginx logs), so "-" maps back to it.
  GroupKeyBuffer key;
  std::optional<std::size_t> source;
  for (std::size_t i = 0; i < by.size(); ++i) {
    const auto& [name, shown] = event.group[i];
    if (name != toString(by[i])) return false;
    const std::string_view value = shown == "-" ? std::string_view() : std::string_view(shown);
    if (by[i] == GroupKey::kSource) {
      source = sourceNamed(value);
      if (!source) return false;  // renamed, removed or no longer one this rule reads
    }
    key.append(value, maxKeyBytes(by[i]));
  }
  // A value cut by the key's bounds would name another group and another id.
  if (decodeGroupKey(key.view(), by) != event.group) return false;
  // Not grouped by source: the event's source (its newest record's) must still be one of ours.
  if (!source) source = sourceNamed(event.source);
  if (!source) return false;

  if (const Group* held = groups_.find(key.view()); held != nullptr && held->incident.open()) {
    return false;
  }
  Group& group = groupFor(key.view());
  group.source = static_cast<uint32_t>(*source);
  group.utc_offset_minutes = event.utc_offset_minutes;
  group.incident.restore(event.started_at, event.fired_at, event.event_at);
  group.window->restore(event);
  // The whole incident's figures, so that the resolved event reports them and not only what
  // came after the restart.
  group.peak = WindowSnapshot::fromStats(event.peak);
  group.peak_at = event.peak_at;
  if (!group.tops) group.tops = std::make_unique<FailureTops>();
  group.tops->clear();
  for (const NamedCount& path : event.top_paths) group.tops->paths.add(path.name, path.count);
  for (const NamedCount& upstream : event.upstreams)
    group.tops->upstreams.add(upstream.name, upstream.count);
  group.tops_since = event.started_at;
  groups_.setOpen(group, true);
  return true;
}

Group& Rule::groupFor(std::string_view key) {
  const GroupTable::Lookup lookup = groups_.findOrCreate(key);
  Group& group = *lookup.group;
  if (lookup.created) {
    if (group.window)
      group.window->clear();
    else
      group.window = makeRuleWindow(params_);
  }
  if (lookup.evicted) ++counters_.groups_evicted;
  if (lookup.evicted_open) ++counters_.open_groups_evicted;
  return group;
}

void Rule::noteFailure(Group& group, Timestamp t, std::string_view path,
                       std::string_view upstream) {
  if (!group.tops) group.tops = std::make_unique<FailureTops>();
  FailureTops& tops = *group.tops;
  // While no incident is open, keep only about one window of failures: an incident's tops then
  // hold its own failures and those of at most one window before it began.
  if (!group.incident.open() && !tops.paths.empty() &&
      t - group.tops_since > group.window->stats().span()) {
    tops.clear();
  }
  if (tops.paths.empty()) group.tops_since = t;
  tops.paths.add(path);
  if (!upstream.empty()) tops.upstreams.add(upstream);
}

void Rule::evaluate(Group& group, Timestamp now, std::optional<Timestamp> success,
                    std::vector<IncidentEvent>& out) {
  const Condition condition = group.window->evaluate(now);
  const bool was_open = group.incident.open();
  const Timestamp started = condition.met && !was_open ? group.window->startedAt(now) : Timestamp{};
  const std::optional<EventKind> event =
      group.incident.step(now, condition.met, condition.since, started, success, timers_);
  const bool open = group.incident.open();

  if (open) {
    const TrafficWindow& stats = group.window->stats();
    if (!was_open || stats.failures() > group.peak.failures) {
      group.peak = stats.current();
      group.peak_at = now;
    }
  }
  if (event) out.push_back(buildEvent(group, *event, now));
  if (open != was_open) groups_.setOpen(group, open);
  if (!open && was_open) {  // resolved or cancelled: the next incident starts afresh
    group.peak = {};
    if (group.tops) group.tops->clear();
  }
}

IncidentEvent Rule::buildEvent(const Group& group, EventKind kind, Timestamp now) const {
  IncidentEvent e;
  e.kind = kind;
  e.rule = params_.config.name;
  e.rule_kind = params_.config.kind;
  e.severity = params_.config.severity;
  e.source = group.source < source_names_.size() ? source_names_[group.source] : std::string();
  e.group = decodeGroupKey(group.key, groupBy());
  e.started_at = group.incident.startedAt();
  e.fired_at = group.incident.firedAt();
  if (kind == EventKind::kResolved) e.resolved_at = group.incident.resolvedAt();
  e.event_at = now;
  e.utc_offset_minutes = group.utc_offset_minutes;
  const TrafficWindow& stats = group.window->stats();
  e.window = stats.span();
  e.stats = stats.at(now).toStats();
  e.peak = group.peak.toStats();
  e.peak_at = group.peak_at;
  if (group.tops) {
    e.top_paths = group.tops->paths.top();
    e.upstreams = group.tops->upstreams.top();
  }
  e.detail = group.window->detail(now);
  e.sinks = params_.config.sinks;
  e.incident_id = incidentId(e.rule, e.group, e.started_at);
  return e;
}

}  // namespace gw
