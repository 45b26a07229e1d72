#include "scan/scan_render.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/utf8.h"

namespace gw {
namespace {

constexpr int64_t kMinutesAroundIncident = 10;  // context rows before and after an incident
constexpr std::size_t kAllMinutesUpTo = 120;    // a shorter span is shown whole
constexpr std::size_t kShownLineBytes = 300;    // log lines in the report are cut here
constexpr std::size_t kMaxRows = 72;            // rows of the picture before rows get wider

struct Style {
  bool on;
  const char* red() const { return on ? "\033[31m" : ""; }
  const char* green() const { return on ? "\033[32m" : ""; }
  const char* yellow() const { return on ? "\033[33m" : ""; }
  const char* bold() const { return on ? "\033[1m" : ""; }
  const char* dim() const { return on ? "\033[2m" : ""; }
  const char* reset() const { return on ? "\033[0m" : ""; }
};

std::string grouped(uint64_t n) { return groupThousands(n); }

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  char buf[32];
  const double p = 100.0 * double(part) / double(whole);
  std::snprintf(buf, sizeof buf, p >= 10 || p == 0 ? "%.0f%%" : "%.1f%%", p);
  return buf;
}

// "2022-11-16 11:26:28 +09:00"
std::string localTime(Timestamp t, int16_t offset) {
  std::string s = formatRfc3339(std::chrono::floor<std::chrono::seconds>(t), offset);
  if (s.size() > 10) s[10] = ' ';
  if (s.ends_with("Z")) {
    s.pop_back();
    s += " +00:00";
  } else if (s.size() > 19) {
    s.insert(19, " ");
  }
  return s;
}

// "11:26" in the given offset.
std::string minuteLabel(int64_t minute, int16_t offset) {
  const int64_t local = minute + offset;
  const int64_t day_minute = ((local % 1440) + 1440) % 1440;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", int(day_minute / 60), int(day_minute % 60));
  return buf;
}

std::string dateLabel(int64_t minute, int16_t offset) {
  return localTime(Timestamp(std::chrono::minutes(minute)), offset).substr(0, 10);
}

// Log text shown in a terminal: control bytes made visible, cut to a readable length.
std::string shown(std::string_view line) {
  std::string out;
  for (unsigned char c : line.substr(0, kShownLineBytes)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  if (line.size() > kShownLineBytes) out += "…";
  return out;
}

std::string groupText(const IncidentEvent& e) {
  std::string out;
  for (const auto& [key, value] : e.group) {
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.empty() ? "-" : value);
  }
  return out;
}

std::string byStatus(const std::map<uint16_t, uint64_t>& by_status) {
  std::string out;
  for (const auto& [status, count] : by_status) {
    if (!out.empty()) out += ", ";
    out += (status == 0 ? std::string("other") : std::to_string(status)) + ": " + grouped(count);
  }
  return out;
}

void appendFiles(std::string& out, const ScanResult& r, const Style& st) {
  out += std::string(st.bold()) + "Files" + st.reset() + "\n";
  std::size_t width = 0;
  for (const FileSummary& f : r.files) width = std::max(width, f.path.size());
  for (const FileSummary& f : r.files) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-*s  %s%-6s%s %12s lines %12s parsed %10s malformed",
                  int(width), f.path.c_str(), st.dim(), f.error_log ? "error" : "access",
                  st.reset(), grouped(f.lines).c_str(), grouped(f.parsed).c_str(),
                  grouped(f.malformed).c_str());
    out += buf;
    if (f.first_time && f.last_time) {
      out += "  " + localTime(*f.first_time, f.utc_offset_minutes) + " → " +
             localTime(*f.last_time, f.utc_offset_minutes).substr(11);
    }
    out += "\n";
    for (const MalformedSample& m : f.malformed_samples) {
      out += std::string("      ") + st.yellow() + "line " + std::to_string(m.line_number) + ": " +
             m.reason + st.reset() + "\n";
    }
    if (f.malformed > f.malformed_samples.size()) {
      out +=
          "      … and " + grouped(f.malformed - f.malformed_samples.size()) + " more malformed\n";
    }
    if (f.cut > 0) out += "      " + grouped(f.cut) + " lines longer than 64 KiB were cut\n";
    if (!f.error.empty()) out += std::string("      ") + st.red() + f.error + st.reset() + "\n";
  }
}

void appendIncident(std::string& out, std::size_t n, const IncidentReport& inc, const Style& st) {
  const IncidentEvent& e = inc.fired;
  const int16_t off = e.utc_offset_minutes;
  out += std::string("\n  ") + st.bold() + st.red() + "#" + std::to_string(n) + " " + e.rule +
         st.reset() + "  " + groupText(e) + "  " + toString(e.severity) + "  " + st.dim() + "id " +
         e.incident_id + st.reset() + "\n";
  auto row = [&](const char* label, const std::string& value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "     %-11s ", label);
    out += buf + value + "\n";
  };
  row("started", localTime(e.started_at, off) + "  (first failing request)");
  if (!inc.first_failure_line.empty())
    row("", st.dim() + shown(inc.first_failure_line) + st.reset());
  if (inc.last_good_before) {
    row("last good", localTime(*inc.last_good_before, off) + "  (last good request before it)");
    if (!inc.last_good_line.empty()) row("", st.dim() + shown(inc.last_good_line) + st.reset());
  } else if (e.stats.errors < e.stats.requests) {
    row("last good", "requests kept succeeding during it (" +
                         percent(e.stats.errors, e.stats.requests) + " failed when it fired)");
  } else {
    row("last good", "none in the files read");
  }
  row("fired", localTime(e.fired_at, off) + "  (" + formatDuration(e.fired_at - e.started_at) +
                   " after it started)" + (e.detail.empty() ? "" : ": " + e.detail));
  if (inc.peak.requests + inc.peak.not_reached > 0) {
    row("peak", minuteLabel(inc.peak_minute, off) + "  " + grouped(inc.peak.upstream_failures) +
                    " upstream failures of " + grouped(inc.peak.requests) + " requests (" +
                    percent(inc.peak.upstream_failures, inc.peak.requests) + ") in that minute");
  }
  if (inc.last_failure_at && !inc.back_to_normal_at)
    row("last fail", localTime(*inc.last_failure_at, off));
  if (inc.resolved && inc.resolved->resolved_at) {
    const Timestamp end = inc.last_failure_at.value_or(*inc.resolved->resolved_at);
    row("resolved", localTime(*inc.resolved->resolved_at, off));
    if (inc.back_to_normal_at) {
      row("duration", formatDuration(*inc.back_to_normal_at - e.started_at) +
                          " (until the rule's window was healthy again, " +
                          localTime(*inc.back_to_normal_at, off).substr(11, 8) + ")");
    } else {
      row("duration",
          formatDuration(end - e.started_at) + " of failures (first to last failing request)");
    }
  } else {
    row("resolved",
        std::string(st.red()) + "no — still failing at the end of the files" + st.reset());
    if (inc.last_failure_at)
      row("duration", "at least " + formatDuration(*inc.last_failure_at - e.started_at));
  }
  if (inc.reminders > 0) row("reminders", std::to_string(inc.reminders));
  row("window", grouped(e.stats.errors) + " failures of " + grouped(e.stats.requests) +
                    " requests (" + percent(e.stats.errors, e.stats.requests) + ") in the " +
                    formatDuration(e.window) + " window when it fired");
  if (!e.stats.by_status.empty()) row("by status", byStatus(e.stats.by_status));
  if (!e.top_paths.empty()) {
    std::string paths;
    for (std::size_t i = 0; i < e.top_paths.size() && i < 5; ++i) {
      if (i) paths += ", ";
      paths += shown(e.top_paths[i].name) + " (" + grouped(e.top_paths[i].count) + ")";
    }
    row("top paths", paths);
  }
  if (!e.upstreams.empty()) {
    std::string ups;
    for (std::size_t i = 0; i < e.upstreams.size() && i < 5; ++i) {
      if (i) ups += ", ";
      ups += shown(e.upstreams[i].name) + " (" + grouped(e.upstreams[i].count) + ")";
    }
    row("upstreams", ups);
  }
  if (!inc.error_lines.empty()) {
    row("error.log",
        std::to_string(inc.error_lines.size() + inc.error_lines_dropped) + " lines in its span");
    for (const std::string& line : inc.error_lines)
      out += "       " + std::string(st.dim()) + shown(line) + st.reset() + "\n";
    if (inc.error_lines_dropped) out += "       … " + grouped(inc.error_lines_dropped) + " more\n";
  }
}

// Rows of the picture: a minute each when that fits, else wider rows (aligned to the local clock)
// so a quiet site's two-hour outage still fits a screen.
int64_t rowMinutes(std::size_t minutes_shown, bool all_minutes) {
  if (all_minutes) return 1;
  for (int64_t step : {1, 2, 5, 10, 15, 30, 60, 120, 360, 720, 1440}) {
    if (minutes_shown <= std::size_t(step) * kMaxRows) return step;
  }
  return 1440;
}

void appendMinutes(std::string& out, const SourceTimeline& tl, const ScanResult& r,
                   const RenderOptions& options, const Style& st) {
  if (tl.minutes.empty()) return;
  const int16_t off = tl.utc_offset_minutes;
  const int64_t first = tl.minutes.begin()->first;
  const int64_t last = tl.minutes.rbegin()->first;
  const std::size_t span = std::size_t(last - first + 1);

  // Which minutes to show: all of a short span, else those around this source's incidents.
  std::set<int64_t> shown_minutes;
  if (options.all_minutes || span <= kAllMinutesUpTo) {
    for (int64_t m = first; m <= last; ++m) shown_minutes.insert(m);
  } else {
    for (const IncidentReport& inc : r.incidents) {
      if (inc.fired.source != tl.source) continue;
      const int64_t from =
          std::chrono::floor<std::chrono::minutes>(inc.fired.started_at).time_since_epoch().count();
      Timestamp end_time = inc.last_failure_at.value_or(inc.fired.fired_at);
      if (inc.resolved && inc.resolved->resolved_at)
        end_time = std::max(end_time, *inc.resolved->resolved_at);
      const int64_t to =
          std::chrono::floor<std::chrono::minutes>(end_time).time_since_epoch().count();
      for (int64_t m = std::max(first, from - kMinutesAroundIncident);
           m <= std::min(last, to + kMinutesAroundIncident); ++m) {
        shown_minutes.insert(m);
      }
    }
  }
  const int64_t step = rowMinutes(shown_minutes.size(), options.all_minutes);
  const std::string unit = step == 1     ? "minute"
                           : step < 60   ? std::to_string(step) + " minutes"
                           : step == 60  ? "hour"
                           : step < 1440 ? std::to_string(step / 60) + " hours"
                                         : "day";
  out += std::string("\n") + st.bold() + "Per " + unit + " — " + tl.source + st.reset() + st.dim() +
         "  (requests; █ upstream failures 502/503/504, ▒ other 5xx, ░ the rest)" + st.reset() +
         "\n";
  if (shown_minutes.empty()) {
    out += "  " + grouped(span) + " minutes without incidents (use --all-minutes to see them)\n";
    return;
  }
  // Aggregate into rows; a row starts at a multiple of `step` in local time.
  std::map<int64_t, MinuteCounts> rows;
  for (int64_t m : shown_minutes) {
    const int64_t local = m + off;
    const int64_t row = local - (((local % step) + step) % step) - off;
    MinuteCounts& c = rows[row];
    if (auto it = tl.minutes.find(m); it != tl.minutes.end()) {
      c.requests += it->second.requests;
      c.upstream_failures += it->second.upstream_failures;
      c.other_5xx += it->second.other_5xx;
      c.not_reached += it->second.not_reached;
    }
  }
  uint64_t peak = 1;
  for (const auto& [row, c] : rows) peak = std::max(peak, c.requests);
  int64_t previous = rows.begin()->first - step;
  std::string last_date;
  for (const auto& [row, c] : rows) {
    if (row != previous + step) {
      out += std::string("  ") + st.dim() + "   ⋮ " + grouped(uint64_t(row - previous - step)) +
             " minutes not shown" + st.reset() + "\n";
    }
    previous = row;
    const std::string date = dateLabel(row, off);
    if (date != last_date) {
      out += std::string("  ") + st.dim() + date + st.reset() + "\n";
      last_date = date;
    }
    const int width = options.bar_width;
    auto cells = [&](uint64_t n) {
      if (n == 0) return 0;
      return std::max(1, int(double(n) / double(peak) * width + 0.5));
    };
    const int fail = cells(c.upstream_failures);
    const int other = cells(c.other_5xx);
    const int total = std::max(cells(c.requests), fail + other);
    char head[96];
    std::snprintf(head, sizeof head, "  %s %10s %9s %6s  ", minuteLabel(row, off).c_str(),
                  grouped(c.requests).c_str(),
                  c.upstream_failures ? grouped(c.upstream_failures).c_str() : "·",
                  c.upstream_failures ? percent(c.upstream_failures, c.requests).c_str() : "");
    out += head;
    out += st.red();
    for (int i = 0; i < fail; ++i) out += "█";
    out += st.yellow();
    for (int i = 0; i < other; ++i) out += "▒";
    out += st.dim();
    for (int i = fail + other; i < total; ++i) out += "░";
    out += st.reset();
    out += "\n";
  }
}

nlohmann::json eventJson(const IncidentEvent& e) {
  const int16_t off = e.utc_offset_minutes;
  nlohmann::json j;
  j["id"] = e.incident_id;
  j["event"] = toString(e.kind);
  j["rule"] = e.rule;
  j["kind"] = toString(e.rule_kind);
  j["severity"] = toString(e.severity);
  j["source"] = e.source;
  j["group"] = nlohmann::json::object();
  for (const auto& [k, v] : e.group) j["group"][k] = v;
  j["started_at"] = formatRfc3339(e.started_at, off);
  j["fired_at"] = formatRfc3339(e.fired_at, off);
  j["resolved_at"] =
      e.resolved_at ? nlohmann::json(formatRfc3339(*e.resolved_at, off)) : nlohmann::json();
  j["window_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(e.window).count();
  auto stats = [](const WindowStats& s) {
    nlohmann::json o{{"requests", s.requests}, {"errors", s.errors}, {"ratio", s.ratio()}};
    o["by_status"] = nlohmann::json::object();
    for (const auto& [status, count] : s.by_status) o["by_status"][std::to_string(status)] = count;
    return o;
  };
  j["stats"] = stats(e.stats);
  j["peak"] = stats(e.peak);
  j["top_paths"] = nlohmann::json::array();
  for (const auto& p : e.top_paths)
    j["top_paths"].push_back({{"path", p.name}, {"count", p.count}});
  j["upstreams"] = nlohmann::json::array();
  for (const auto& u : e.upstreams)
    j["upstreams"].push_back({{"addr", u.name}, {"count", u.count}});
  j["detail"] = e.detail;
  return j;
}

}  // namespace

std::string renderScanText(const ScanResult& r, const RenderOptions& options) {
  const Style st{options.color};
  std::string out;
  out += std::string(st.bold()) + "gatewatch scan" + st.reset() + " — " +
         std::to_string(r.files.size()) + " files, " + grouped(r.lines) + " lines (" +
         grouped(r.parsed) + " parsed, " + grouped(r.malformed) + " malformed)";
  if (r.first_time && r.last_time) {
    out += ", " + localTime(*r.first_time, r.utc_offset_minutes) + " → " +
           localTime(*r.last_time, r.utc_offset_minutes);
  }
  out += "\n\n";
  appendFiles(out, r, st);

  out += std::string("\n") + st.bold() + "Incidents" + st.reset();
  std::string rules;
  for (const std::string& name : r.rules) rules += (rules.empty() ? "" : ", ") + name;
  out += std::string(st.dim()) + "  (rules: " + rules + ")" + st.reset() + "\n";
  if (r.incidents.empty()) out += "  none: no rule fired\n";
  for (std::size_t i = 0; i < r.incidents.size(); ++i)
    appendIncident(out, i + 1, r.incidents[i], st);

  for (const SourceTimeline& tl : r.timelines) appendMinutes(out, tl, r, options, st);
  return out;
}

nlohmann::json scanToJson(const ScanResult& r) {
  nlohmann::json j;
  const int16_t off = r.utc_offset_minutes;
  j["lines"] = r.lines;
  j["parsed"] = r.parsed;
  j["malformed"] = r.malformed;
  j["first_time"] =
      r.first_time ? nlohmann::json(formatRfc3339(*r.first_time, off)) : nlohmann::json();
  j["last_time"] =
      r.last_time ? nlohmann::json(formatRfc3339(*r.last_time, off)) : nlohmann::json();
  j["rules"] = r.rules;
  j["files"] = nlohmann::json::array();
  for (const FileSummary& f : r.files) {
    nlohmann::json fj{{"path", validUtf8(f.path)},
                      {"source", f.source},
                      {"kind", f.error_log ? "error" : "access"},
                      {"lines", f.lines},
                      {"parsed", f.parsed},
                      {"malformed", f.malformed},
                      {"cut", f.cut}};
    fj["first_time"] = f.first_time
                           ? nlohmann::json(formatRfc3339(*f.first_time, f.utc_offset_minutes))
                           : nlohmann::json();
    fj["last_time"] = f.last_time
                          ? nlohmann::json(formatRfc3339(*f.last_time, f.utc_offset_minutes))
                          : nlohmann::json();
    fj["malformed_samples"] = nlohmann::json::array();
    for (const MalformedSample& m : f.malformed_samples) {
      fj["malformed_samples"].push_back({{"line", m.line_number}, {"reason", validUtf8(m.reason)}});
    }
    if (!f.error.empty()) fj["error"] = validUtf8(f.error);
    j["files"].push_back(std::move(fj));
  }
  j["incidents"] = nlohmann::json::array();
  for (const IncidentReport& inc : r.incidents) {
    const int16_t ioff = inc.fired.utc_offset_minutes;
    nlohmann::json ij = eventJson(inc.fired);
    ij["event"] = inc.resolved ? "resolved" : "firing";
    if (inc.resolved && inc.resolved->resolved_at) {
      ij["resolved_at"] = formatRfc3339(*inc.resolved->resolved_at, ioff);
    }
    auto optTime = [&](const std::optional<Timestamp>& t) {
      return t ? nlohmann::json(formatRfc3339(*t, ioff)) : nlohmann::json();
    };
    ij["last_good_before"] = optTime(inc.last_good_before);
    ij["last_good_line"] = validUtf8(inc.last_good_line);
    ij["first_failure_line"] = validUtf8(inc.first_failure_line);
    ij["last_failure_at"] = optTime(inc.last_failure_at);
    ij["back_to_normal_at"] = optTime(inc.back_to_normal_at);
    ij["reminders"] = inc.reminders;
    ij["peak_minute"] = formatRfc3339(Timestamp(std::chrono::minutes(inc.peak_minute)), ioff);
    ij["peak_minute_counts"] = {{"requests", inc.peak.requests},
                                {"upstream_failures", inc.peak.upstream_failures},
                                {"other_5xx", inc.peak.other_5xx},
                                {"not_reached", inc.peak.not_reached}};
    ij["context"]["error"] = nlohmann::json::array();
    for (const std::string& line : inc.error_lines)
      ij["context"]["error"].push_back(validUtf8(line));
    ij["context"]["error_dropped"] = inc.error_lines_dropped;
    j["incidents"].push_back(std::move(ij));
  }
  j["minutes"] = nlohmann::json::object();
  for (const SourceTimeline& tl : r.timelines) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [minute, c] : tl.minutes) {
      rows.push_back({{"minute", formatRfc3339(Timestamp(std::chrono::minutes(minute)),
                                               tl.utc_offset_minutes)},
                      {"requests", c.requests},
                      {"upstream_failures", c.upstream_failures},
                      {"other_5xx", c.other_5xx},
                      {"not_reached", c.not_reached}});
    }
    j["minutes"][tl.source] = std::move(rows);
  }
  return j;
}

}  // namespace gw
