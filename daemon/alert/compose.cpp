// Composing: the words of an alert (summary, headline), read off the event's figures and its
// rule kind's `detail` (detect/*_rule.cpp write it), and the context lines from the rings.
// Every text from a log passes the redactor and is made valid UTF-8 before it is stored.
#include "alert/compose.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/utf8.h"
#include "detect/rule_window.h"

namespace gw {
namespace {

using std::chrono::floor;
using std::chrono::seconds;

// The matched error.log text in a headline: a phone shows about this much on one line.
constexpr std::size_t kHeadlineTextChars = 80;
// A summary is one sentence; error_log details carry a whole log message.
constexpr std::size_t kSummaryChars = 300;
// Failure statuses a phrase names one by one; more are listed by number.
constexpr std::size_t kNamedStatuses = 2;

// ---- numbers and times ---------------------------------------------------------------------

// "96%", "5.2%", "0.31%": as a person says it. Never "100%" unless every request failed.
std::string percentText(uint64_t part, uint64_t whole) {
  if (whole == 0 || part == 0) return "0%";
  if (part >= whole) return "100%";
  const double pct = 100.0 * double(part) / double(whole);
  char buf[32];
  if (pct >= 10) {
    std::snprintf(buf, sizeof buf, "%d%%", std::min(99, static_cast<int>(std::lround(pct))));
  } else if (pct >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f", pct);
    std::string text = buf;
    if (text.ends_with(".0")) text.resize(text.size() - 2);
    return text + "%";
  } else {
    std::snprintf(buf, sizeof buf, "%.2g%%", pct);
  }
  return buf;
}

// "1h 44m 3s", "2h", "41s": how long something lasted, to the second.
std::string lastedText(Millis d) {
  if (d < seconds(1)) return "under 1s";
  int64_t s = floor<seconds>(d).count();
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  for (const auto& [size, suffix] : kUnits) {
    if (s < size) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(s / size) + suffix;
    s %= size;
  }
  return out;
}

struct LocalTime {
  std::chrono::year_month_day date;
  int64_t second_of_day = 0;
};

LocalTime localTime(Timestamp t, int utc_offset_minutes) {
  const auto local = floor<seconds>(t) + std::chrono::minutes(utc_offset_minutes);
  const auto day = floor<std::chrono::days>(local);
  return {std::chrono::year_month_day(day), (local - day).count()};
}

std::string clockText(const LocalTime& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", static_cast<int>(t.second_of_day / 3600),
                static_cast<int>(t.second_of_day / 60 % 60),
                static_cast<int>(t.second_of_day % 60));
  return buf;
}

std::string dateText(const LocalTime& t) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const unsigned month = static_cast<unsigned>(t.date.month());
  return std::string(kMonths[(month - 1) % 12]) + " " +
         std::to_string(static_cast<unsigned>(t.date.day()));
}

// "11:26:28", with the date in front when it is not the day of `reference`.
std::string whenText(Timestamp t, Timestamp reference, int utc_offset_minutes) {
  const LocalTime local = localTime(t, utc_offset_minutes);
  const LocalTime ref = localTime(reference, utc_offset_minutes);
  if (local.date == ref.date) return clockText(local);
  return dateText(local) + " " + clockText(local);
}

std::string offsetText(int minutes) {
  if (minutes == 0) return "UTC";
  const int magnitude = std::abs(minutes);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", minutes < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return buf;
}

// ---- statuses ------------------------------------------------------------------------------

// The statuses that are the failures: server errors, and client errors only when server errors
// do not account for all failures (a rule may count 429s). "other" (status 0) is never named.
std::vector<std::pair<uint16_t, uint64_t>> failingStatuses(const WindowStats& stats) {
  std::vector<std::pair<uint16_t, uint64_t>> out;
  uint64_t server = 0;
  for (const auto& [status, count] : stats.by_status) {
    if (status >= 500 && count > 0) {
      out.emplace_back(status, count);
      server += count;
    }
  }
  if (server < stats.errors) {
    for (const auto& [status, count] : stats.by_status) {
      if (status >= 400 && status < 500 && count > 0) out.emplace_back(status, count);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return out;
}

std::string statusName(uint16_t status) {
  const std::string_view reason = statusReason(status);
  return reason.empty() ? std::to_string(status)
                        : std::to_string(status) + " " + std::string(reason);
}

// "502 Bad Gateway", "502 Bad Gateway and 504 Gateway Time-out", "5xx (502, 504, 503)"; ""
// when the window names no failing status.
std::string failurePhrase(const WindowStats& stats) {
  const auto statuses = failingStatuses(stats);
  if (statuses.empty()) return {};
  if (statuses.size() <= kNamedStatuses) {
    std::string out = statusName(statuses[0].first);
    if (statuses.size() == 2) out += " and " + statusName(statuses[1].first);
    return out;
  }
  const bool all_server =
      std::all_of(statuses.begin(), statuses.end(), [](const auto& s) { return s.first >= 500; });
  std::string out = all_server ? "5xx (" : "errors (";
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(statuses[i].first);
  }
  return out + ")";
}

std::string phraseOr(const WindowStats& stats, std::string_view fallback) {
  std::string phrase = failurePhrase(stats);
  return phrase.empty() ? std::string(fallback) : phrase;
}

// ---- reading `detail` ------------------------------------------------------------------------

// "1,234 consecutive ..." -> 1234.
std::optional<uint64_t> leadingCount(std::string_view text) {
  uint64_t n = 0;
  std::size_t digits = 0, i = 0;
  for (; i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == ','); ++i) {
    if (text[i] == ',') continue;
    if (n > UINT64_MAX / 10 - 10) return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(text[i] - '0');
    ++digits;
  }
  return digits ? std::optional<uint64_t>(n) : std::nullopt;
}

// What follows `marker` up to the next ',' / ';' (or the end): "within 41s" -> "41s".
std::string_view after(std::string_view text, std::string_view marker) {
  const std::size_t at = text.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = text.substr(at + marker.size());
  return rest.substr(0, rest.find_first_of(",;"));
}

// consecutive: "5 consecutive failed requests, the last 3 within 41s".
struct RunFacts {
  uint64_t run = 0;
  std::optional<uint64_t> last;
  std::string within;  // "within 41s", "in under a second"
};

RunFacts runFacts(const IncidentEvent& e) {
  RunFacts facts;
  facts.run = leadingCount(e.detail).value_or(e.stats.errors);
  facts.last = leadingCount(after(e.detail, ", the last "));
  // The detector's span ("41s"), or the incident's own when the detail has none. Failures
  // logged in the same second read "within 0ms": say it as a person would.
  std::string span_text(after(e.detail, " within "));
  Millis span = e.fired_at - e.started_at;
  if (!span_text.empty() && !parseDuration(span_text, span)) span = Millis::max();
  if (span < std::chrono::seconds(1)) {
    facts.within = "in under a second";
  } else {
    facts.within = "within " + (span_text.empty() ? lastedText(span) : span_text);
  }
  return facts;
}

// burn_rate: "burn 20x over 1h and 30x over 5m (fires above 14.4x); burn ...; objective 99.9%"
// -> the clause of the pair that fired (both burns above its factor), and the objective.
std::pair<std::string, std::string> burnFacts(std::string_view detail) {
  std::string_view objective;
  if (const std::size_t at = detail.rfind(", objective "); at != std::string_view::npos) {
    objective = detail.substr(at + 2);
    detail = detail.substr(0, at);
  }
  std::string_view chosen;
  while (!detail.empty()) {
    const std::size_t end = detail.find("; ");
    const std::string_view clause = detail.substr(0, end);
    detail = end == std::string_view::npos ? std::string_view() : detail.substr(end + 2);
    if (chosen.empty()) chosen = clause;
    const auto number = [&](std::string_view marker) {
      const std::string text(after(clause, marker));
      return std::strtod(text.c_str(), nullptr);
    };
    const double factor = number("fires above ");
    if (number("burn ") > factor && number(" and ") > factor) {
      chosen = clause;
      break;
    }
  }
  return {std::string(chosen), std::string(objective)};
}

// error_log: "5 error.log lines matched in 2m: connect() failed ..." -> the matched text.
std::string_view matchedText(std::string_view detail) {
  const std::size_t at = detail.find(": ");
  return at == std::string_view::npos ? detail : detail.substr(at + 2);
}

// ---- sentences -------------------------------------------------------------------------------

std::string requestsText(uint64_t n) {
  return groupThousands(n) + (n == 1 ? " request" : " requests");
}

// What is wrong now, for firing and reminders.
std::string stateSentence(const IncidentEvent& e) {
  const WindowStats& s = e.stats;
  switch (e.rule_kind) {
    case RuleKind::kRatio:
      return phraseOr(s, "failures") + " on " + percentText(s.errors, s.requests) + " of " +
             requestsText(s.requests) + " in the last " + formatSpan(e.window);
    case RuleKind::kConsecutive: {
      const RunFacts run = runFacts(e);
      const std::string phrase = failurePhrase(s);
      std::string text = groupThousands(run.run) + (run.run == 1 ? " request" : " requests") +
                         " in a row failed" + (phrase.empty() ? "" : " with " + phrase);
      if (run.last && *run.last != run.run) {
        return text + ", the last " + groupThousands(*run.last) + " " + run.within;
      }
      return text + " " + run.within;
    }
    case RuleKind::kBurnRate: {
      const auto [clause, objective] = burnFacts(e.detail);
      std::string text = phraseOr(s, "failures") + " on " + percentText(s.errors, s.requests) +
                         " of " + requestsText(s.requests) + " in the last " + formatSpan(e.window);
      if (!clause.empty()) text += ": error budget " + clause;
      if (!objective.empty()) text += ", " + objective;
      return text;
    }
    case RuleKind::kErrorLog:
    case RuleKind::kSilence:
      return e.detail;
  }
  return e.detail;
}

// How bad it was, for resolved.
std::string worstSentence(const IncidentEvent& e) {
  const WindowStats& p = e.peak.requests > 0 ? e.peak : e.stats;
  switch (e.rule_kind) {
    case RuleKind::kRatio:
    case RuleKind::kBurnRate:
      if (p.requests == 0) return "requests succeed again";
      return "at worst " + phraseOr(p, "failures") + " on " + percentText(p.errors, p.requests) +
             " of " + requestsText(p.requests) + " in " + formatSpan(e.window);
    case RuleKind::kConsecutive: {
      if (p.errors == 0) return "requests succeed again";
      const std::string phrase = failurePhrase(p);
      return "at worst " + groupThousands(p.errors) + " of " + requestsText(p.requests) +
             " failed" + (phrase.empty() ? "" : " with " + phrase) + " in " + formatSpan(e.window);
    }
    case RuleKind::kErrorLog:
      return "no more matching error.log lines, and requests succeed again";
    case RuleKind::kSilence:
      return "requests arrive again";
  }
  return {};
}

// The headline's "what": short, for a phone's lock screen.
std::string headlineWhat(const IncidentEvent& e) {
  const bool resolved = e.kind == EventKind::kResolved;
  const WindowStats& s = resolved && e.peak.requests > 0 ? e.peak : e.stats;
  switch (e.rule_kind) {
    case RuleKind::kRatio:
      if (resolved) return phraseOr(s, "failures");
      return phraseOr(s, "failures") + " on " + percentText(s.errors, s.requests) + " of requests";
    case RuleKind::kConsecutive:
      if (resolved) return phraseOr(s, "failures");
      return phraseOr(s, "failures") + " on " + groupThousands(runFacts(e).run) +
             " requests in a row";
    case RuleKind::kBurnRate:
      if (resolved) return phraseOr(s, "failures") + " burning the error budget";
      return phraseOr(s, "failures") + " on " + percentText(s.errors, s.requests) +
             " of requests, burning the error budget";
    case RuleKind::kErrorLog:
      return "error.log: " + cutUtf8(matchedText(e.detail), kHeadlineTextChars);
    case RuleKind::kSilence:
      return "No requests";
  }
  return e.rule;
}

// "driver-insu-prod", "driver-insu-prod (upstream 127.0.0.1:8080)".
std::string whereText(const IncidentEvent& e) {
  std::string extra;
  for (const auto& [key, value] : e.group) {
    // "-": the lines had no such value (no upstream field in the format), nothing to tell.
    if (key == "source" || value == "-") continue;
    extra += (extra.empty() ? "" : ", ") + key + " " + value;
  }
  return extra.empty() ? e.source : e.source + " (" + extra + ")";
}

const char* severityEmoji(Severity severity) {
  switch (severity) {
    case Severity::kCritical:
      return "🔴";
    case Severity::kWarning:
      return "🟠";
    case Severity::kInfo:
      return "🔵";
  }
  return "🔴";
}

constexpr std::size_t atLeastOne(std::size_t n) { return n == 0 ? 1 : n; }

}  // namespace

// ---- the composer ----------------------------------------------------------------------------

AlertComposer::AlertComposer(ComposerOptions options, Redactor redactor)
    : options_(std::move(options)), redactor_(std::move(redactor)) {
  const std::size_t sources = options_.source_names.size();
  access_.reserve(sources);
  errors_.reserve(sources);
  for (std::size_t i = 0; i < sources; ++i) {
    access_.emplace_back(
        atLeastOne(options_.context.lines_before * kAccessRingLinesPerContextLine));
    errors_.emplace_back(atLeastOne(options_.context.error_lines * kErrorRingLinesPerContextLine));
  }
}

void AlertComposer::rememberAccess(std::size_t source, std::string_view raw_line,
                                   const AccessRecord& record) {
  if (source < access_.size()) access_[source].remember(raw_line, record);
}

void AlertComposer::rememberError(std::size_t source, std::string_view raw_line,
                                  const ErrorRecord& record) {
  if (source < errors_.size()) errors_[source].remember(raw_line, record.time);
}

Alert AlertComposer::compose(const IncidentEvent& event) const {
  Alert alert;
  alert.event = event;
  IncidentEvent& e = alert.event;
  // Paths and error.log text come from clients; upstream addresses and names are ours.
  for (NamedCount& path : e.top_paths) path.name = validUtf8(redactor_.apply(path.name));
  for (NamedCount& upstream : e.upstreams) upstream.name = validUtf8(upstream.name);
  for (auto& [key, value] : e.group) {
    if (key == toString(GroupKey::kPath)) value = redactor_.apply(value);
    value = validUtf8(value);
  }
  if (e.rule_kind == RuleKind::kErrorLog) e.detail = redactor_.apply(e.detail);
  e.detail = validUtf8(e.detail);

  alert.hostname = options_.hostname;
  alert.zone_label = zoneLabel(options_.display_zone, e.started_at, e.utc_offset_minutes);
  alert.summary = summarize(e);
  alert.headline = headline(e, alert.zone_label, false);

  const auto found =
      std::find(options_.source_names.begin(), options_.source_names.end(), event.source);
  if (found == options_.source_names.end()) return alert;
  const auto source = static_cast<std::size_t>(found - options_.source_names.begin());
  auto clean = [&](const std::string& line) {
    return cutUtf8(redactor_.apply(line), kContextLineChars);
  };
  // The ring is searched with the group as the detector keyed it, before redaction.
  for (const std::string& line :
       access_[source].linesFor(event.group, event.event_at, options_.context.lines_before)) {
    alert.context.access.push_back(clean(line));
  }
  const Timestamp to = event.resolved_at.value_or(event.event_at);
  for (const std::string& line : errors_[source].linesBetween(event.started_at - kErrorLineLead, to,
                                                              options_.context.error_lines)) {
    alert.context.error.push_back(clean(line));
  }
  return alert;
}

Alert AlertComposer::testAlert(Timestamp now) const {
  IncidentEvent e;
  char id[32];
  std::snprintf(id, sizeof id, "test-%013lld",
                static_cast<long long>(now.time_since_epoch().count()));
  e.incident_id = id;  // a new one each time: receivers must not drop it as a duplicate
  e.kind = EventKind::kFiring;
  e.rule = "gatewatch-test-alert";
  e.rule_kind = RuleKind::kRatio;
  e.severity = Severity::kInfo;  // a test must not page anyone
  e.source = options_.source_names.empty() ? "gatewatch" : options_.source_names.front();
  e.group = {{"source", e.source}};
  e.utc_offset_minutes = static_cast<int16_t>(options_.display_zone.offsetAt(now));
  e.started_at = now - std::chrono::seconds(3);
  e.fired_at = now;
  e.event_at = now;
  e.window = std::chrono::seconds(60);
  e.stats.requests = 240;
  e.stats.errors = 231;
  e.stats.by_status = {{200, 9}, {502, 231}};
  e.peak = e.stats;
  e.peak_at = now;
  e.top_paths = {{"/gatewatch-test", 231}};
  e.upstreams = {{"127.0.0.1:8080", 231}};
  e.detail = "a test alert: nothing is failing";

  Alert alert;
  alert.test = true;
  alert.event = e;
  alert.hostname = options_.hostname;
  alert.zone_label = zoneLabel(options_.display_zone, now, e.utc_offset_minutes);
  alert.summary =
      "TEST alert from gatewatch test-alert, nothing is failing; a real one reads: " + summarize(e);
  alert.headline = headline(e, alert.zone_label, true);
  alert.context.access = {"TEST: the failing requests' access log lines appear here"};
  alert.context.error = {"TEST: the matching error.log lines appear here"};
  return alert;
}

// ---- words -----------------------------------------------------------------------------------

std::string summarize(const IncidentEvent& event) {
  std::string text;
  switch (event.kind) {
    case EventKind::kFiring:
      text = stateSentence(event);
      break;
    case EventKind::kReminder:
      text = "still firing after " + lastedText(event.event_at - event.started_at) + ": " +
             stateSentence(event);
      break;
    case EventKind::kResolved:
      text = "resolved after " +
             lastedText(event.resolved_at.value_or(event.event_at) - event.started_at) + ": " +
             worstSentence(event);
      break;
  }
  return cutUtf8(text, kSummaryChars);
}

std::string headline(const IncidentEvent& event, std::string_view zone_label, bool test) {
  const std::string what = headlineWhat(event);
  std::string text = test ? "🧪 TEST — " : "";
  const int offset = event.utc_offset_minutes;
  if (event.kind == EventKind::kResolved) {
    const Timestamp end = event.resolved_at.value_or(event.event_at);
    text += "✅ Resolved: " + what + " — " + whereText(event) + " — lasted " +
            lastedText(end - event.started_at) + " (" + whenText(event.started_at, end, offset) +
            "–" + whenText(end, end, offset) + " " + std::string(zone_label) + ")";
    return text;
  }
  text += std::string(severityEmoji(event.severity)) + " " + what + " — " + whereText(event) +
          " — since " + whenText(event.started_at, event.event_at, offset) + " (" +
          std::string(zone_label) + ")";
  if (event.kind == EventKind::kReminder) {
    text += ", " + lastedText(event.event_at - event.started_at) + " so far";
  }
  return text;
}

std::string zoneLabel(const TimeZone& zone, Timestamp at, int utc_offset_minutes) {
  if (zone.offsetAt(at) == utc_offset_minutes) {
    const std::string name = zone.abbreviationAt(at);
    // Numeric abbreviations ("+04") say no more than the offset, which is written the same way
    // everywhere else.
    const bool letters = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    });
    if (letters) return name;
  }
  return offsetText(utc_offset_minutes);
}

std::string_view statusReason(uint16_t status) {
  // nginx's own reason phrases (ngx_http_header_filter_module.c), which differ from RFC 9110's
  // in places: "Moved Temporarily", "Gateway Time-out".
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Time-out";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Requested Range Not Satisfiable";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    // nginx's own codes: logged, never sent with a phrase; named as its source names them.
    case 494:
      return "Request Header Too Large";
    case 495:
      return "SSL Certificate Error";
    case 496:
      return "SSL Certificate Required";
    case 497:
      return "HTTP Request Sent to HTTPS Port";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Temporarily Unavailable";
    case 504:
      return "Gateway Time-out";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return {};
  }
}

}  // namespace gw
