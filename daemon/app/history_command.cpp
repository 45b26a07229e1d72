// `gatewatch history`: what fired, when it started, how long it lasted, how bad it got and whether
// each sink got the alert (or why not), read from the state database the daemon writes. It never
// creates, migrates or moves that file: it may be run by hand while the daemon holds it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "app/cli.h"
#include "app/commands.h"
#include "common/time.h"
#include "common/time_zone.h"
#include "common/utf8.h"
#include "config/loader.h"
#include "store/history_store.h"
#include "store/sqlite.h"
#include "store/state_db.h"
#include "store/statements.h"

namespace gw {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// The history tables arrived with this schema version; an older file has no alerts to show.
constexpr int64_t kHistorySchemaVersion = 2;
// Cells are cut to these many characters so one incident stays one line; --json has it all.
constexpr std::size_t kMaxRuleChars = 32;
constexpr std::size_t kMaxGroupChars = 56;
constexpr std::size_t kMaxReasonChars = 160;
// Spaces between table columns, and the indent of the per-sink lines under an incident.
constexpr const char* kColumnGap = "  ";
constexpr const char* kSinkIndent = "    ";

// Text from the database came from logs and receivers (group values, Slack errors): control
// characters, escape sequences and bidi overrides are made visible so they cannot move the
// cursor or reorder a terminal line; invalid UTF-8 is replaced.
std::string printable(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t at = 0; at < text.size();) {
    const CodePoint cp = decodeUtf8(text, at);
    if (chars == max_chars) {
      out += "…";
      break;
    }
    const char32_t c = cp.value;
    if (!cp.valid) {
      out += kReplacementCharacter;
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
               c == 0x200f || c == 0x061c) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(c));
      out += buf;
    } else {
      out.append(text.substr(at, cp.length));
    }
    at += cp.length;
    ++chars;
  }
  return out;
}

// Characters on screen (code points; wide CJK characters count one, a small misalignment).
std::size_t displayWidth(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size(); at += decodeUtf8(text, at).length) ++n;
  return n;
}

std::string padded(const std::string& text, std::size_t width) {
  const std::size_t w = displayWidth(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

// "2022-11-16 11:26:28+09:00": the incident's own offset, to the second.
std::string whenText(Timestamp t, int offset_minutes) {
  std::string text = formatRfc3339(std::chrono::floor<std::chrono::seconds>(t), offset_minutes);
  if (text.size() > 10 && text[10] == 'T') text[10] = ' ';
  return text;
}

// "11:26:31", or "2022-11-17 01:02:03" when not on the day the incident started.
std::string clockText(Timestamp t, Timestamp started, int offset_minutes) {
  const std::string full = whenText(t, offset_minutes);
  const std::string day = whenText(started, offset_minutes).substr(0, 10);
  return full.substr(0, 10) == day ? full.substr(11, 8) : full.substr(0, 19);
}

// Two units are enough to read a duration at a glance: "45s", "12m 5s", "1h 2m", "3d 4h".
std::string lastedText(Millis d) {
  const int64_t s = std::max<int64_t>(0, std::chrono::floor<std::chrono::seconds>(d).count());
  char buf[48];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm %llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

// "96% 230/240": never 100% unless every request failed, never 0% when one did.
std::string peakText(const IncidentRow& row) {
  if (row.peak_requests == 0) {
    return row.peak_errors == 0 ? "-" : groupThousands(row.peak_errors) + " errors";
  }
  const double pct = std::clamp(row.peak_ratio, 0.0, 1.0) * 100.0;
  char buf[32];
  if (row.peak_errors > 0 && pct < 10.0) {
    std::snprintf(buf, sizeof buf, "%.1f%%", std::max(pct, 0.1));
  } else {
    double shown = std::round(pct);
    if (shown >= 100.0 && row.peak_errors < row.peak_requests) shown = 99.0;
    std::snprintf(buf, sizeof buf, "%.0f%%", shown);
  }
  return std::string(buf) + " " + groupThousands(row.peak_errors) + "/" +
         groupThousands(row.peak_requests);
}

// "driver-insu-prod upstream=10.0.0.5:8080": the source, then the other group keys.
std::string groupText(const IncidentRow& row) {
  std::string text = row.source;
  const Json group = Json::parse(row.group_json, nullptr, false);
  if (group.is_object()) {
    for (const auto& [key, value] : group.items()) {
      if (key == "source" && value.is_string() && value.get<std::string>() == row.source) continue;
      text += " " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  return printable(text, kMaxGroupChars);
}

// How one sink fared with one incident, from its attempts (oldest first).
struct SinkFate {
  std::string sink;
  std::optional<Timestamp> first_delivered;
  // Per event, in the order the events were first tried: the newest attempt, and the newest one
  // that got an HTTP answer (to say what the sink last said when the newest is an expiry).
  struct EventFate {
    std::string event;
    const DeliveryAttemptRow* last = nullptr;
    const DeliveryAttemptRow* last_answer = nullptr;
  };
  std::vector<EventFate> events;

  bool allDelivered() const {
    return std::all_of(events.begin(), events.end(),
                       [](const EventFate& e) { return e.last->outcome == "delivered"; });
  }
};

std::vector<SinkFate> sinkFates(const std::vector<DeliveryAttemptRow>& attempts) {
  std::vector<SinkFate> fates;
  for (const DeliveryAttemptRow& a : attempts) {
    auto sink = std::find_if(fates.begin(), fates.end(),
                             [&](const SinkFate& f) { return f.sink == a.sink; });
    if (sink == fates.end()) {
      fates.push_back(SinkFate{a.sink, std::nullopt, {}});
      sink = fates.end() - 1;
    }
    if (a.outcome == "delivered" && !sink->first_delivered) sink->first_delivered = a.at;
    auto event = std::find_if(sink->events.begin(), sink->events.end(),
                              [&](const SinkFate::EventFate& e) { return e.event == a.event; });
    if (event == sink->events.end()) {
      sink->events.push_back(SinkFate::EventFate{a.event, nullptr, nullptr});
      event = sink->events.end() - 1;
    }
    event->last = &a;
    if (a.http_status != 0) event->last_answer = &a;
  }
  return fates;
}

// The word for the worst state of a sink that did not get everything.
std::string verdictWord(const SinkFate& fate) {
  bool failed = false, expired = false, waiting = false;
  for (const auto& e : fate.events) {
    failed = failed || e.last->outcome == "failed";
    expired = expired || e.last->outcome == "expired";
    waiting = waiting || e.last->outcome == "retry" || e.last->outcome == "rate_limited";
  }
  if (failed) return "FAILED";
  if (expired) return "EXPIRED";
  if (waiting) return "RETRYING";
  return "NOT DELIVERED";
}

// "HTTP 503", "HTTP 404, Slack no_service": what the sink answered, when it answered.
std::string answerText(const DeliveryAttemptRow& a) {
  std::string text;
  if (a.http_status != 0) text = "HTTP " + std::to_string(a.http_status);
  if (!a.slack_error.empty()) text += (text.empty() ? "" : ", ") + ("Slack " + a.slack_error);
  return text;
}

// "resolved failed - HTTP 404: channel_not_found (attempt 1, 11:30:02)". The recorded reason
// already names the status and Slack's error; the answer is built from them only without one.
std::string eventLine(const SinkFate::EventFate& e, const IncidentRow& row) {
  const DeliveryAttemptRow& a = *e.last;
  std::string why = a.detail.empty() ? answerText(a) : a.detail;
  if (!a.slack_error.empty() && why.find(a.slack_error) == std::string::npos) {
    why += " (Slack " + a.slack_error + ")";
  }
  // A timeout or an expiry has no HTTP answer of its own: what the sink said before still helps.
  if (a.http_status == 0 && e.last_answer != nullptr) {
    why += (why.empty() ? "" : " ") + ("(last answer " + answerText(*e.last_answer) + ")");
  }
  if (why.empty()) why = "no answer recorded";
  std::string outcome = a.outcome;
  std::string when = "attempt " + std::to_string(a.attempt);
  if (outcome == "retry") outcome = "retrying";
  if (outcome == "rate_limited") outcome = "rate limited, waiting";
  if (outcome == "expired") {
    outcome = "given up";
    when = "after " + std::to_string(a.attempt) + " attempt" + (a.attempt == 1 ? "" : "s");
  }
  return e.event + " " + outcome + " - " + printable(why, kMaxReasonChars) + " (" + when + ", " +
         clockText(a.at, row.started_at, row.utc_offset_minutes) + ")";
}

struct Rendered {
  std::vector<std::string> cells;       // the aligned columns
  std::string delivery;                 // the last column, as long as it needs
  std::vector<std::string> sink_lines;  // one per sink that did not get everything
};

Rendered renderIncident(const IncidentHistory& h) {
  const IncidentRow& row = h.incident;
  Rendered r;
  std::string rule = printable(row.rule, kMaxRuleChars);
  if (row.test) rule += " [test]";
  r.cells = {whenText(row.started_at, row.utc_offset_minutes), rule, groupText(row),
             row.resolved_at ? lastedText(*row.resolved_at - row.started_at) : "open",
             peakText(row)};

  const std::vector<SinkFate> fates = sinkFates(h.attempts);
  std::string delivery;
  for (const SinkFate& fate : fates) {
    if (!delivery.empty()) delivery += ", ";
    const std::string name = printable(fate.sink, kMaxRuleChars);
    if (fate.allDelivered()) {
      delivery +=
          name + " ok " + clockText(*fate.first_delivered, row.started_at, row.utc_offset_minutes);
      continue;
    }
    delivery += name + " " + verdictWord(fate);
    for (const auto& e : fate.events) {
      if (e.last->outcome == "delivered") continue;
      r.sink_lines.push_back(kSinkIndent + name + ": " + eventLine(e, row));
    }
  }
  r.delivery = delivery.empty() ? "-" : delivery;
  return r;
}

void printTable(const std::vector<IncidentHistory>& rows) {
  const std::vector<std::string> headers = {"STARTED", "RULE", "SOURCE / GROUP", "LASTED", "PEAK"};
  std::vector<Rendered> rendered;
  rendered.reserve(rows.size());
  std::vector<std::size_t> widths;
  for (const auto& h : headers) widths.push_back(displayWidth(h));
  for (const auto& h : rows) {
    rendered.push_back(renderIncident(h));
    for (std::size_t i = 0; i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], displayWidth(rendered.back().cells[i]));
    }
  }
  std::string header;
  for (std::size_t i = 0; i < headers.size(); ++i)
    header += padded(headers[i], widths[i]) + kColumnGap;
  std::printf("%sDELIVERY\n", header.c_str());
  for (const Rendered& r : rendered) {
    std::string line;
    for (std::size_t i = 0; i < r.cells.size(); ++i)
      line += padded(r.cells[i], widths[i]) + kColumnGap;
    std::printf("%s%s\n", line.c_str(), r.delivery.c_str());
    for (const std::string& sink_line : r.sink_lines) std::printf("%s\n", sink_line.c_str());
  }
}

Json timeJson(Timestamp t, int offset_minutes) { return formatRfc3339(t, offset_minutes); }

Json incidentJson(const IncidentHistory& h) {
  const IncidentRow& row = h.incident;
  const int off = row.utc_offset_minutes;
  Json j;
  j["id"] = row.id;
  j["rule"] = row.rule;
  j["rule_kind"] = row.rule_kind;
  j["severity"] = row.severity;
  j["source"] = row.source;
  Json group = Json::parse(row.group_json, nullptr, false);
  j["group"] = group.is_discarded() ? Json(row.group_json) : std::move(group);
  j["hostname"] = row.hostname;
  j["test"] = row.test;
  j["started_at"] = timeJson(row.started_at, off);
  j["fired_at"] = timeJson(row.fired_at, off);
  j["resolved_at"] = row.resolved_at ? timeJson(*row.resolved_at, off) : Json(nullptr);
  j["open"] = !row.resolved_at.has_value();
  j["duration_ms"] =
      row.resolved_at ? Json((*row.resolved_at - row.started_at).count()) : Json(nullptr);
  j["utc_offset_minutes"] = off;
  j["last_event"] = row.last_event;
  j["updated_at"] = timeJson(row.updated_at, off);
  j["peak"] =
      Json{{"requests", row.peak_requests}, {"errors", row.peak_errors}, {"ratio", row.peak_ratio}};
  j["summary"] = row.summary;
  Json attempts = Json::array();
  for (const DeliveryAttemptRow& a : h.attempts) {
    attempts.push_back(Json{{"sink", a.sink},
                            {"event", a.event},
                            {"attempt", a.attempt},
                            {"at", timeJson(a.at, off)},
                            {"http_status", a.http_status},
                            {"slack_error", a.slack_error},
                            {"latency_ms", a.latency_ms},
                            {"outcome", a.outcome},
                            {"detail", a.detail}});
  }
  j["attempts"] = std::move(attempts);
  // The alert as it was last sent (redacted context lines included), for tools that want it.
  Json alert = Json::parse(row.alert_json, nullptr, false);
  j["alert"] = alert.is_discarded() ? Json(nullptr) : std::move(alert);
  return j;
}

// What to do about a database that cannot be read, by the kind of failure.
std::string adviceFor(DbErrorKind kind, const std::string& path) {
  switch (kind) {
    case DbErrorKind::kCantOpen:
    case DbErrorKind::kReadOnly:
      return "run gatewatch history as the user the daemon runs as (or as root), or check the "
             "permissions of " +
             path + " and its directory";
    case DbErrorKind::kBusy:
      return "another process holds it locked; try again in a moment";
    case DbErrorKind::kCorrupt:
    case DbErrorKind::kNotADatabase:
      return "the file is damaged; the daemon moves it aside at its next start (keep it for a "
             "bug report)";
    default:
      return "check the file and the disk it is on";
  }
}

int databaseFailure(const std::string& path, const Error& error, DbErrorKind kind) {
  std::fprintf(stderr, "history: cannot read the alert history in %s: %s\n  what to do: %s\n",
               path.c_str(), error.message.c_str(), adviceFor(kind, path).c_str());
  return kExitFailure;
}

// Nothing recorded yet is an answer, not an error: the JSON stays parseable.
int nothingRecorded(const HistoryCommand& command, const std::string& why) {
  if (command.json) {
    std::printf("[]\n");
    std::fprintf(stderr, "history: %s\n", why.c_str());
  } else {
    std::printf("%s\n", why.c_str());
  }
  return kExitOk;
}

std::string describeFilter(const HistoryCommand& command, std::optional<Timestamp> since,
                           const TimeZone& zone) {
  std::string text;
  if (since) {
    text = "since " + whenText(*since, zone.offsetAt(*since)) + " (" + command.since + ")";
  }
  if (!command.rule.empty()) text += (text.empty() ? "" : ", ") + ("rule " + command.rule);
  if (!command.source.empty()) text += (text.empty() ? "" : ", ") + ("source " + command.source);
  if (command.open_only) text += (text.empty() ? "" : ", ") + std::string("open only");
  return printable(text, kMaxReasonChars);
}

}  // namespace

int runHistory(const HistoryCommand& command) {
  std::optional<Timestamp> since;
  const Timestamp now = SystemClock().now();
  if (command.since != "all") {
    Millis back{};
    if (!parseDuration(command.since, back)) {
      std::fprintf(stderr,
                   "history: --since '%s' is not a duration; give one such as 30m, 24h, 7d or "
                   "1h30m, or 'all' for everything\n",
                   printable(command.since, kMaxReasonChars).c_str());
      return kExitUsage;
    }
    since = now - back;
  }
  if (command.limit == 0 || command.limit > kMaxHistoryLimit) {
    std::fprintf(stderr, "history: --limit %zu is out of range; give 1 to %zu\n", command.limit,
                 kMaxHistoryLimit);
    return kExitUsage;
  }

  std::string state_dir = command.state_dir;
  if (state_dir.empty()) {
    const ConfigLoad load = loadConfigFile(command.config_path);
    for (const ConfigProblem& problem : load.problems) {
      std::fprintf(stderr, "%s\n", problem.toString().c_str());
    }
    if (!load.ok()) {
      std::fprintf(stderr,
                   "%s: %zu problem%s; the state directory comes from this config (or give "
                   "--state-dir DIR)\n",
                   command.config_path.c_str(), load.problems.size(),
                   load.problems.size() == 1 ? "" : "s");
      return kExitUsage;
    }
    state_dir = load.config.state_dir;
  }

  const std::string path = (fs::path(state_dir) / kStateDbFileName).string();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) {
      return databaseFailure(path, Error{ec.message()}, DbErrorKind::kCantOpen);
    }
    return nothingRecorded(command, "No alert has been recorded yet: " + path +
                                        " does not exist (the daemon creates it when it starts).");
  }

  // Opened as found: no migration, no WAL switch, no moving a damaged file aside. That is the
  // daemon's job at its start; this command only reads.
  auto db = Database::open(path);
  if (!db) return databaseFailure(path, db.error(), DbErrorKind::kCantOpen);
  auto app_id = db->queryInt(sql::kApplicationIdQuery);
  if (!app_id) return databaseFailure(path, app_id.error(), db->lastErrorKind());
  auto version = db->queryInt(sql::kUserVersion);
  if (!version) return databaseFailure(path, version.error(), db->lastErrorKind());
  if (*app_id != sql::kApplicationId) {
    if (*app_id == 0 && *version == 0) {
      return nothingRecorded(command, "No alert has been recorded yet: " + path + " is empty.");
    }
    return databaseFailure(path,
                           Error{"it is not gatewatch's state database (application_id " +
                                 std::to_string(*app_id) + ")"},
                           DbErrorKind::kNotADatabase);
  }
  if (*version < kHistorySchemaVersion) {
    return nothingRecorded(
        command, "No alert has been recorded yet: " + path +
                     " was written by a gatewatch without alert history (schema version " +
                     std::to_string(*version) + "); the daemon adds it at its next start.");
  }

  auto store = HistoryStore::open(*db);
  if (!store) return databaseFailure(path, store.error(), db->lastErrorKind());
  HistoryQuery query;
  query.since = since;
  query.rule = command.rule;
  query.source = command.source;
  query.open_only = command.open_only;
  query.limit = command.limit;
  auto rows = store->query(query);
  if (!rows) return databaseFailure(path, rows.error(), db->lastErrorKind());

  if (command.json) {
    Json out = Json::array();
    for (const IncidentHistory& h : *rows) out.push_back(incidentJson(h));
    // Text from logs may hold invalid UTF-8; it is replaced rather than failing the dump.
    std::printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }

  const TimeZone zone = TimeZone::local();
  const std::string filter = describeFilter(command, since, zone);
  if (rows->empty()) {
    std::printf("No incidents%s%s.\n", filter.empty() ? "" : " ", filter.c_str());
    return kExitOk;
  }
  printTable(*rows);
  std::printf("\n%zu incident%s%s%s.", rows->size(), rows->size() == 1 ? "" : "s",
              filter.empty() ? "" : " ", filter.c_str());
  if (rows->size() == command.limit) {
    std::printf(" Only the newest %zu are shown; --limit (up to %zu) or --since show others.",
                command.limit, kMaxHistoryLimit);
  }
  std::printf("\n");
  return kExitOk;
}

}  // namespace gw
