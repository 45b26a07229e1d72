#include "timeline.h"

#include <algorithm>

namespace gw::test {

using namespace std::chrono;

Req ok() { return Req{}; }

Req badGateway() {
  Req r;
  r.status = 502;
  return r;
}

Timestamp jst(int h, int m, int s, int ms) {
  return Timestamp(sys_days(year(2022) / 11 / 16)) + hours(h - 9) + minutes(m) + seconds(s) +
         milliseconds(ms);
}

Timestamp morning() { return jst(11, 0); }

Timeline::Timeline(std::vector<RuleConfig> rules, std::vector<std::string> sources,
                   DetectorOptions options)
    : detector(std::move(rules), std::move(sources), options) {}

void Timeline::request(const Req& r) { requestAt(now, r); }

void Timeline::requestAt(Timestamp t, const Req& r) {
  AccessRecord rec;
  rec.time = t;
  rec.has_time = true;
  rec.utc_offset_minutes = r.utc_offset_minutes;
  rec.status = r.status;
  rec.method = "GET";
  rec.path = r.path;
  rec.host = r.host;
  rec.upstream_reach = r.reach;
  if (r.reach == UpstreamReach::kReached) {
    rec.first_upstream_addr = r.upstream;
    rec.upstream_addr_raw = r.upstream;
    if (r.upstream_statuses.empty()) rec.upstream_statuses[rec.upstream_status_count++] = r.status;
    for (uint16_t s : r.upstream_statuses) rec.upstream_statuses[rec.upstream_status_count++] = s;
  } else if (r.reach == UpstreamReach::kNotReached) {
    rec.upstream_addr_raw = "-";
    rec.upstream_status_raw = "-";
  }
  detector.observe(r.source, rec, std::max(t, now));
  collect();
}

void Timeline::errorLine(std::string_view message, std::size_t source) {
  ErrorRecord rec;
  rec.time = now;
  rec.level = ErrorLevel::kError;
  rec.message = message;
  rec.line = message;
  rec.request = "GET /join/user-form HTTP/1.1";
  rec.upstream = "http://127.0.0.1:8080/join/user-form";
  detector.observeError(source, rec, now);
  collect();
}

void Timeline::tick() {
  detector.tick(now);
  collect();
}

void Timeline::advance(Millis d) {
  const Timestamp end = now + d;
  // A tick on every whole second passed, as the daemon's timer would.
  for (Timestamp b = floor<seconds>(now) + seconds(1); b <= end; b += seconds(1)) {
    now = b;
    tick();
  }
  now = end;
}

void Timeline::traffic(Millis span, Millis step, const std::function<Req(int)>& make) {
  const Timestamp end = now + span;
  for (int i = 0; now < end; ++i) {
    request(make(i));
    advance(step);
  }
}

std::vector<IncidentEvent> Timeline::of(EventKind kind) const {
  std::vector<IncidentEvent> out;
  for (const IncidentEvent& e : events) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

const IncidentEvent* Timeline::firstOf(EventKind kind) const {
  for (const IncidentEvent& e : events) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

void Timeline::collect() {
  for (IncidentEvent& e : detector.takeEvents()) events.push_back(std::move(e));
}

RuleConfig ratioRule(std::string name) {
  RuleConfig r;
  r.name = std::move(name);
  r.kind = RuleKind::kRatio;
  r.statuses = {502, 503, 504};
  r.window = seconds(60);
  r.min_requests = 20;
  r.ratio = 0.1;
  r.group_by = {GroupKey::kSource};
  r.sinks = {"ops-slack"};
  return r;
}

RuleConfig consecutiveRule(std::string name) {
  RuleConfig r;
  r.name = std::move(name);
  r.kind = RuleKind::kConsecutive;
  r.statuses = {502, 504};
  r.count = 3;
  r.within = minutes(30);
  r.group_by = {GroupKey::kSource, GroupKey::kUpstream};
  return r;
}

}  // namespace gw::test
