// Timeline: a Detector driven by a fake clock, so detection tests read like timelines
// ("a request every 5 minutes, 502 from 11:26 ...") and never sleep.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detector.h"

namespace gw::test {

// One access record, as far as detection cares. Views must outlive the call (literals do).
struct Req {
  uint16_t status = 200;
  std::string_view path = "/";
  std::string_view host = "example.com";
  std::string_view upstream = "127.0.0.1:8080";
  std::vector<uint16_t> upstream_statuses;  // empty: {status} when reached
  UpstreamReach reach = UpstreamReach::kReached;
  std::size_t source = 0;
  int16_t utc_offset_minutes = 9 * 60;  // the incident's server wrote +09:00
};

Req ok();
Req badGateway();  // 502 from the upstream

// 2022-11-16T11:00:00+09:00: the incident's morning.
Timestamp morning();
// hh:mm:ss on the incident's day, in +09:00.
Timestamp jst(int h, int m, int s = 0, int ms = 0);

class Timeline {
 public:
  explicit Timeline(std::vector<RuleConfig> rules, std::vector<std::string> sources = {"site"},
                    DetectorOptions options = {});

  Timestamp now = morning();

  // A request logged at `now` (scan-like: the detector's "now" is the record's time).
  void request(const Req& r = ok());
  // A request whose line carries `t`, observed when the detector's clock says `now`.
  void requestAt(Timestamp t, const Req& r);
  void errorLine(std::string_view message, std::size_t source = 0);
  void tick();
  // Moves `now` forward, ticking every second on the way (as the daemon does).
  void advance(Millis d);
  // A request every `step` for `span`, ticking every second; make(i) says what the i-th is.
  void traffic(Millis span, Millis step, const std::function<Req(int)>& make);

  std::vector<IncidentEvent> of(EventKind kind) const;
  std::vector<IncidentEvent> firings() const { return of(EventKind::kFiring); }
  const IncidentEvent* firstOf(EventKind kind) const;

  Detector detector;
  std::vector<IncidentEvent> events;  // every event so far, in order

 private:
  void collect();
};

RuleConfig ratioRule(std::string name = "rate");
RuleConfig consecutiveRule(std::string name = "down");

}  // namespace gw::test
