// renderMetrics: the snapshot in Prometheus text exposition format 0.0.4. Families come in a
// fixed order, series in the snapshot's order (sources and sinks as configured), so two scrapes
// of one snapshot are byte-identical and the tests can compare whole lines.
#include <charconv>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "common/utf8.h"
#include "http/status_server.h"

namespace gw {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Label values come from configuration and log paths: any bytes. The text format wants UTF-8
// with \\, \" and \n escaped.
void appendLabelValue(std::string& out, std::string_view value) {
  const std::string valid = validUtf8(value);
  for (char c : valid) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void appendUnsigned(std::string& out, uint64_t value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

// Unix seconds with millisecond precision: "1668565588", "1668565588.123".
void appendSeconds(std::string& out, Timestamp t) {
  const int64_t ms = t.time_since_epoch().count();
  if (ms < 0) out += '-';
  const uint64_t magnitude = ms < 0 ? 0 - static_cast<uint64_t>(ms) : static_cast<uint64_t>(ms);
  appendUnsigned(out, magnitude / 1000);
  if (const uint64_t frac = magnitude % 1000; frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 100);
    out += static_cast<char>('0' + frac / 10 % 10);
    out += static_cast<char>('0' + frac % 10);
  }
}

class MetricsWriter {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;  // constants below: nothing to escape
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::initializer_list<Label> labels, uint64_t value) {
    series(labels);
    appendUnsigned(out_, value);
    out_ += '\n';
  }
  void sampleSeconds(std::initializer_list<Label> labels, Timestamp value) {
    series(labels);
    appendSeconds(out_, value);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  void series(std::initializer_list<Label> labels) {
    out_ += name_;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        appendLabelValue(out_, value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  std::string out_;
  std::string_view name_;
};

// requests_by_class index → the class label: [0] other, [1] 1xx ... [5] 5xx. Listed 1xx first.
constexpr std::pair<std::size_t, std::string_view> kClasses[] = {
    {1, "1xx"}, {2, "2xx"}, {3, "3xx"}, {4, "4xx"}, {5, "5xx"}, {0, "other"}};

}  // namespace

std::string renderMetrics(const StatusSnapshot& s) {
  MetricsWriter w;

  w.family("gatewatch_build_info", "gauge", "The running gatewatch's version (always 1).");
  w.sample({{"version", s.version}}, 1);
  w.family("gatewatch_start_time_seconds", "gauge", "When the daemon started, Unix seconds.");
  w.sampleSeconds({}, s.started_at);

  w.family("gatewatch_lines_total", "counter",
           "Access log lines read, by source and whether they parsed.");
  for (const SourceStatus& src : s.sources) {
    w.sample({{"source", src.name}, {"result", "parsed"}}, src.lines_parsed);
    w.sample({{"source", src.name}, {"result", "malformed"}}, src.lines_malformed);
  }
  w.family("gatewatch_error_lines_total", "counter", "error.log lines read, by source.");
  for (const SourceStatus& src : s.sources) w.sample({{"source", src.name}}, src.error_lines);
  w.family("gatewatch_requests_total", "counter",
           "Requests seen in the access logs, by source and status class.");
  for (const SourceStatus& src : s.sources) {
    for (const auto& [index, label] : kClasses) {
      w.sample({{"source", src.name}, {"class", label}}, src.requests_by_class[index]);
    }
  }
  w.family("gatewatch_rotations_total", "counter", "Log rotations followed, by source.");
  for (const SourceStatus& src : s.sources) w.sample({{"source", src.name}}, src.rotations);
  w.family("gatewatch_last_line_timestamp_seconds", "gauge",
           "When the source's last access line was read, Unix seconds.");
  for (const SourceStatus& src : s.sources) {
    if (src.last_line_at) w.sampleSeconds({{"source", src.name}}, *src.last_line_at);
  }
  w.family("gatewatch_source_readable", "gauge", "1 while the source's logs can be read, else 0.");
  for (const SourceStatus& src : s.sources) {
    w.sample({{"source", src.name}}, src.readable ? 1 : 0);
  }
  w.family("gatewatch_tail_lag_bytes", "gauge",
           "Bytes written to a followed file and not read yet, by source and path.");
  for (const PathStatus& path : s.paths) {
    w.sample({{"source", path.source}, {"path", path.path}}, path.lag_bytes);
  }
  w.family("gatewatch_lines_skew_clamped_total", "counter",
           "Lines whose own time was more than 60s off the clock and taken as now.");
  w.sample({}, s.skew_clamped);

  w.family("gatewatch_detector_groups", "gauge", "Groups the rules are tracking now.");
  w.sample({}, s.detector_groups);
  w.family("gatewatch_detector_groups_evicted_total", "counter",
           "Groups dropped because the group table was full.");
  w.sample({}, s.groups_evicted);
  w.family("gatewatch_open_incidents", "gauge", "Incidents firing now.");
  w.sample({}, s.open_incidents.size());
  w.family("gatewatch_alerts_total", "counter", "Alerts composed, by rule and event.");
  for (const auto& [key, count] : s.alerts) {
    w.sample({{"rule", key.first}, {"event", key.second}}, count);
  }

  w.family("gatewatch_deliveries_total", "counter",
           "Notification deliveries to sinks, by sink and outcome.");
  for (const SinkStatus& sink : s.sinks) {
    w.sample({{"sink", sink.name}, {"outcome", "delivered"}}, sink.delivered);
    w.sample({{"sink", sink.name}, {"outcome", "retried"}}, sink.retried);
    w.sample({{"sink", sink.name}, {"outcome", "failed"}}, sink.failed);
    w.sample({{"sink", sink.name}, {"outcome", "expired"}}, sink.expired);
  }
  w.family("gatewatch_sink_failing", "gauge",
           "1 when the sink's latest attempt failed permanently, else 0.");
  for (const SinkStatus& sink : s.sinks) w.sample({{"sink", sink.name}}, sink.failing ? 1 : 0);
  w.family("gatewatch_outbox_pending", "gauge", "Notifications waiting in the outbox.");
  w.sample({}, s.outbox_pending);

  w.family("gatewatch_config_reloads_total", "counter",
           "Configuration reloads, by result (success: applied; failure: refused, old config "
           "kept).");
  w.sample({{"result", "success"}}, s.config_reloads);
  w.sample({{"result", "failure"}}, s.config_reload_failures);
  return w.take();
}

}  // namespace gw
