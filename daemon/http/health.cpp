// evaluateHealth: /healthz's verdict and body, from the snapshot alone and the time passed in,
// so every unhealthy reason is tested without a daemon or a clock.
#include <nlohmann/json.hpp>

#include "http/status_server.h"

namespace gw {
namespace {

using Json = nlohmann::json;

std::string utc(Timestamp t) { return formatRfc3339(t, 0); }

Json optionalTime(const std::optional<Timestamp>& t) { return t ? Json(utc(*t)) : Json(nullptr); }

Millis age(Timestamp since, Timestamp now) { return since < now ? now - since : Millis{0}; }

}  // namespace

HealthReport evaluateHealth(const StatusSnapshot& s, Timestamp now) {
  Json reasons = Json::array();

  if (age(s.taken_at, now) > kSnapshotStaleAfter) {
    reasons.push_back("the pipeline last published its status " +
                      formatDuration(age(s.taken_at, now)) +
                      " ago: its loop may be stuck (see the daemon's log)");
  }

  Json sources = Json::array();
  for (const SourceStatus& src : s.sources) {
    uint64_t lag = 0;
    Json paths = Json::array();
    for (const PathStatus& path : s.paths) {
      if (path.source != src.name) continue;
      lag += path.lag_bytes;
      paths.push_back({{"path", path.path}, {"lag_bytes", path.lag_bytes}});
    }
    Json entry = {{"name", src.name},
                  {"readable", src.readable},
                  {"lag_bytes", lag},
                  {"paths", std::move(paths)},
                  {"last_line_at", optionalTime(src.last_line_at)},
                  {"last_record_at", optionalTime(src.last_record_at)}};
    if (!src.readable) {
      entry["problem"] = src.problem;
      entry["unreadable_since"] = optionalTime(src.unreadable_since);
      // Without a start time the gap's length is unknown: it counts as long, so a source that
      // is unreadable is never reported healthy for want of a timestamp.
      const Millis gap = src.unreadable_since ? age(*src.unreadable_since, now)
                                              : kUnreadableUnhealthyAfter + Millis{1};
      if (gap > kUnreadableUnhealthyAfter) {
        std::string reason = "source " + src.name + " has been unreadable";
        if (src.unreadable_since) reason += " for " + formatDuration(gap);
        if (!src.problem.empty()) reason += ": " + src.problem;
        reasons.push_back(std::move(reason));
      }
    }
    sources.push_back(std::move(entry));
  }

  Json sinks = Json::array();
  for (const SinkStatus& sink : s.sinks) {
    Json entry = {{"name", sink.name},
                  {"type", sink.type},
                  {"pending", sink.pending},
                  {"delivered", sink.delivered},
                  {"failing", sink.failing},
                  {"last_error", sink.last_error.empty() ? Json(nullptr) : Json(sink.last_error)},
                  {"last_error_at", optionalTime(sink.last_error_at)},
                  {"oldest_pending_at", optionalTime(sink.oldest_pending_at)}};
    if (sink.oldest_pending_at && age(*sink.oldest_pending_at, now) > kOutboxStuckAfter) {
      std::string reason = "sink " + sink.name + " has had an alert waiting for " +
                           formatDuration(age(*sink.oldest_pending_at, now));
      if (!sink.last_error.empty()) reason += " (last error: " + sink.last_error + ")";
      reasons.push_back(std::move(reason));
    }
    sinks.push_back(std::move(entry));
  }

  if (s.checkpoints_failing) {
    reasons.push_back(
        "checkpoints are not being saved (the last commit failed): is the state directory "
        "writable and its disk not full?");
  }

  HealthReport report;
  report.healthy = reasons.empty();
  Json body = {{"status", report.healthy ? "ok" : "unhealthy"},
               {"reasons", std::move(reasons)},
               {"version", s.version},
               {"started_at", utc(s.started_at)},
               {"taken_at", utc(s.taken_at)},
               {"sources", std::move(sources)},
               {"sinks", std::move(sinks)},
               {"outbox_pending", s.outbox_pending},
               {"open_incidents", s.open_incidents.size()},
               {"lines_per_second", s.lines_per_second},
               {"checkpoints_failing", s.checkpoints_failing}};
  report.json = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return report;
}

}  // namespace gw
