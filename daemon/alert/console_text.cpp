// consoleAlertText: an alert as people read it in a terminal — what `gatewatch run` prints on
// stdout when the config has no sinks (the demo, a first try on a server). Plain text, no colour
// codes: it also goes to pipes and files. Every string that comes from a log (paths, lines, group
// values) — and, to be safe, every other string of the alert — passes through terminalSafe(), so
// a request line carrying "\x1b]0;pwned\x07" or a bidi override cannot act on the terminal.
#include <algorithm>
#include <cstdio>

#include "alert/render.h"
#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

// Per-item bounds: context lines are already cut to kContextLineChars by the composer; these
// bound the rest, so a block stays a screenful whatever a hostile log put into the alert.
constexpr std::size_t kHeadlineChars = 300;
constexpr std::size_t kSummaryChars = 500;
constexpr std::size_t kValueChars = 120;  // a path, a group value, an address, a name
constexpr std::size_t kLineChars = kContextLineChars;
// Paths and upstreams listed on their line; the rest are counted.
constexpr std::size_t kListed = 5;
// Labels are padded to this width so the values line up.
constexpr std::size_t kLabelWidth = 10;
// Context lines are indented by this much under their heading.
constexpr std::string_view kLineIndent = "    ";
// Ends a text that was cut.
constexpr std::string_view kCutMark = "\xE2\x80\xA6";  // "…"

void appendHexByte(std::string& out, unsigned char byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", byte);
  out += buf;
}

void appendCodePointName(std::string& out, char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(cp));
  out += buf;
}

// Code points a terminal acts on rather than shows: C1 controls (U+0080..U+009F; 0x9B is a
// one-byte CSI on some terminals), the bidi embeddings, overrides and isolates that reorder what
// is shown (CVE-2021-42574), the line and paragraph separators.
bool actsOnTerminal(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C ||
         cp == 0x2028 || cp == 0x2029;
}

// `text` made safe to print: C0 controls, DEL and invalid UTF-8 bytes as \xNN (ESC becomes
// \x1b, so no escape sequence reaches the terminal), the code points above as <U+XXXX>. At most
// `max_chars` code points are read; a longer text ends with "…". Backslashes stay as they are:
// this is for reading, not a reversible encoding (nginx writes \x22 in its own logs).
std::string terminalSafe(std::string_view text, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(text.size(), max_chars * 4) + kCutMark.size());
  std::size_t at = 0;
  std::size_t chars = 0;
  while (at < text.size()) {
    if (chars == max_chars) {
      out += kCutMark;
      break;
    }
    const CodePoint cp = decodeUtf8(text, at);
    if (!cp.valid) {
      appendHexByte(out, static_cast<unsigned char>(text[at]));
    } else if (cp.value < 0x20 || cp.value == 0x7F) {
      appendHexByte(out, static_cast<unsigned char>(cp.value));
    } else if (actsOnTerminal(cp.value)) {
      appendCodePointName(out, cp.value);
    } else {
      out.append(text.substr(at, cp.length));
    }
    at += cp.length;
    ++chars;
  }
  return out;
}

std::string safe(std::string_view text) { return terminalSafe(text, kValueChars); }

const char* eventWord(EventKind kind) {
  switch (kind) {
    case EventKind::kFiring:
      return "FIRING";
    case EventKind::kReminder:
      return "STILL FIRING";
    case EventKind::kResolved:
      return "RESOLVED";
  }
  return "ALERT";
}

void field(std::string& out, std::string_view label, std::string_view value) {
  out += "  ";
  out += label;
  if (label.size() < kLabelWidth) out.append(kLabelWidth - label.size(), ' ');
  out += ' ';
  out += value;
  out += '\n';
}

std::string when(const Alert& alert, Timestamp t) {
  return localDateTime(t, alert.event.utc_offset_minutes) + " " + safe(zoneLabelOf(alert));
}

std::string statusName(uint16_t status) {
  return status == 0 ? std::string("other") : std::to_string(status);
}

// "240 in 1m, 231 failed (96%): 502 ×231, 200 ×9" — the most frequent statuses first.
std::string requestsText(const IncidentEvent& e) {
  std::string text = groupThousands(e.stats.requests) + " in " + shortDuration(e.window) + ", " +
                     groupThousands(e.stats.errors) + " failed";
  if (e.stats.requests > 0) {
    const int percent = static_cast<int>(e.stats.ratio() * 100.0 + 0.5);
    text += e.stats.errors > 0 && percent == 0 ? std::string(" (<1%)")
                                               : " (" + std::to_string(percent) + "%)";
  }
  std::vector<std::pair<uint16_t, uint64_t>> statuses(e.stats.by_status.begin(),
                                                      e.stats.by_status.end());
  std::stable_sort(statuses.begin(), statuses.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    text += i == 0 ? ": " : ", ";
    text += statusName(statuses[i].first) + " ×" + groupThousands(statuses[i].second);
  }
  return text;
}

std::string countsText(const std::vector<NamedCount>& counts) {
  std::string text;
  for (std::size_t i = 0; i < counts.size() && i < kListed; ++i) {
    if (i > 0) text += ", ";
    text += safe(counts[i].name) + " ×" + groupThousands(counts[i].count);
  }
  if (counts.size() > kListed) text += ", +" + std::to_string(counts.size() - kListed) + " more";
  return text;
}

std::string groupText(const IncidentEvent& e) {
  std::string text;
  for (const auto& [key, value] : e.group) {
    // "-": the lines carry no such field (no $upstream_addr in the format): nothing to tell.
    if (value == "-") continue;
    if (!text.empty()) text += ", ";
    text += safe(key) + "=" + safe(value);
  }
  return text.empty() ? std::string("(whole source)") : text;
}

void lines(std::string& out, std::string_view heading, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += "  ";
  out += heading;
  out += items.size() == 1 ? " (1 line):\n" : " (" + std::to_string(items.size()) + " lines):\n";
  for (const std::string& line : items) {
    out += kLineIndent;
    out += terminalSafe(line, kLineChars);
    out += '\n';
  }
}

}  // namespace

std::string consoleAlertText(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  std::string out;
  out += "=== gatewatch ";
  if (alert.test) out += "TEST ";
  out += eventWord(e.kind);
  out += " · " + safe(e.rule) + " · " + toString(e.severity) + " · incident " +
         safe(e.incident_id) + " ===\n";
  const std::string_view headline = alert.headline.empty() ? alert.summary : alert.headline;
  if (!headline.empty()) out += terminalSafe(headline, kHeadlineChars) + "\n";
  if (!alert.summary.empty() && alert.summary != headline)
    out += terminalSafe(alert.summary, kSummaryChars) + "\n";

  field(out, "started", when(alert, e.started_at));
  field(out, "fired", when(alert, e.fired_at));
  if (e.resolved_at) {
    field(out, "resolved",
          when(alert, *e.resolved_at) + " (lasted " + shortDuration(incidentDuration(e)) + ")");
  }
  field(out, "source", safe(e.source));
  field(out, "group", groupText(e));
  if (!alert.hostname.empty()) field(out, "host", safe(alert.hostname));
  field(out, "requests", requestsText(e));
  if (!e.top_paths.empty()) field(out, "top paths", countsText(e.top_paths));
  if (!e.upstreams.empty()) field(out, "upstreams", countsText(e.upstreams));
  if (!e.detail.empty()) field(out, "detail", terminalSafe(e.detail, kSummaryChars));
  lines(out, "access log", alert.context.access);
  lines(out, "error.log", alert.context.error);
  out += '\n';
  return out;
}

}  // namespace gw
