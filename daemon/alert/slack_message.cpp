// slackMessage: an alert as a Slack Block Kit message for an incoming webhook, read on a phone —
// the headline in bold and the summary, the figures as two-column fields, then the access and
// error.log lines in code blocks. Every log-derived string is escaped (slackEscape), and the
// message is cut to stay inside Slack's limits rather than be rejected.
//
// Sizes are counted in bytes: Slack counts characters, and a character is at least one byte, so
// a byte budget never exceeds Slack's.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "alert/render.h"
#include "alert/render_text.h"
#include "common/utf8.h"

namespace gw {
namespace {

using Json = nlohmann::ordered_json;

// Marks a test alert wherever a reader looks first.
constexpr std::string_view kTestMark = "🧪 TEST";

// What one part may take of the message, escaped. A hostile line can grow up to 14 times when
// escaped ("<U+202E>" shown for each bidi control), so every part is cut after escaping too.
constexpr std::size_t kHeadlineChars = 200;  // a phone shows about two lines of it
constexpr std::size_t kHeadlineBytes = 600;
constexpr std::size_t kSummaryChars = 400;
constexpr std::size_t kSummaryBytes = 1000;
constexpr std::size_t kDetailBytes = 400;
constexpr std::size_t kValueChars = 80;  // one value in a field: a path, an address
constexpr std::size_t kValueBytes = 240;
constexpr std::size_t kKeyChars = 20;  // a group key: "upstream"
constexpr std::size_t kKeyBytes = 60;
// Upstreams, statuses, group values shown in one field: with the cuts above, no field comes near
// kSlackFieldTextMax, and all the fixed parts together leave the code blocks room in the budget.
constexpr std::size_t kListedInField = 3;
constexpr std::size_t kContextLineBytes = 1200;  // one log line of kContextLineChars, escaped
// Room kept for the "… N more lines" note while filling a code block.
constexpr std::size_t kMoreNoteBytes = 48;

// Slack's blocks here: headline, fields, access lines, error.log lines, footer.
constexpr std::size_t kBlocksUsed = 5;
static_assert(kBlocksUsed <= kSlackMaxBlocks);

// Counts every text that Slack counts against the message.
class Budget {
 public:
  void spend(std::size_t bytes) { used_ += bytes; }
  std::size_t left() const { return used_ < kSlackMessageBudget ? kSlackMessageBudget - used_ : 0; }

 private:
  std::size_t used_ = 0;
};

std::string escapedCut(std::string_view text, std::size_t max_chars, std::size_t max_bytes) {
  const std::string cut = cutUtf8(text, max_chars);
  std::string out;
  if (appendSlackEscaped(out, cut, max_bytes) < cut.size()) {
    // Escaped again with room for the ellipsis, so the cut falls between whole escapes.
    out.clear();
    appendSlackEscaped(out, cut, max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0);
    out += kEllipsis;
  }
  return out;
}

// A value from the logs in inline code. A backtick would close it, so it is shown as U+02CB
// (ˋ), which looks the same.
std::string code(std::string_view value) {
  std::string cut = cutUtf8(value, kValueChars);
  std::string replaced;
  replaced.reserve(cut.size());
  for (const char c : cut) {
    if (c == '`') {
      replaced += "\xCB\x8B";
    } else {
      replaced += c;
    }
  }
  std::string out = "`";
  if (appendSlackEscaped(out, replaced, kValueBytes) < replaced.size()) out += kEllipsis;
  out += '`';
  return out;
}

std::string headlineText(const Alert& alert) {
  std::string headline = !alert.headline.empty()  ? alert.headline
                         : !alert.summary.empty() ? alert.summary
                                                  : alert.event.rule;
  // The composer marks a test alert's headline; a stored alert from elsewhere may not be.
  if (alert.test && headline.find("TEST") == std::string::npos) {
    headline = std::string(kTestMark) + " · " + headline;
  }
  return escapedCut(headline, kHeadlineChars, kHeadlineBytes);
}

std::string statusName(uint16_t status) {
  return status == 0 ? std::string("other") : std::to_string(status);
}

// "3 in 1m · 3 failed (100%)\n`502` ×3 · `200` ×9", failing statuses first.
std::string requestsField(const IncidentEvent& e) {
  std::string text = "*Requests*\n" + groupThousands(e.stats.requests) + " in " +
                     shortDuration(e.window) + " · " + groupThousands(e.stats.errors) + " failed";
  if (e.stats.requests > 0) {
    const int percent = static_cast<int>(e.stats.ratio() * 100.0 + 0.5);
    // A few failures among many requests are not "0%".
    text += e.stats.errors > 0 && percent == 0 ? std::string(" (<1%)")
                                               : " (" + std::to_string(percent) + "%)";
  }
  std::vector<std::pair<uint16_t, uint64_t>> statuses(e.stats.by_status.begin(),
                                                      e.stats.by_status.end());
  std::stable_sort(statuses.begin(), statuses.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (std::size_t i = 0; i < statuses.size() && i < kListedInField; ++i) {
    text += i == 0 ? "\n" : " · ";
    text += "`" + statusName(statuses[i].first) + "` ×" + groupThousands(statuses[i].second);
  }
  if (statuses.size() > kListedInField) {
    text += " · +" + std::to_string(statuses.size() - kListedInField) + " more";
  }
  if (e.peak.errors > e.stats.errors) {
    text += "\npeak " + groupThousands(e.peak.errors) + " of " + groupThousands(e.peak.requests) +
            " at " + localTime(e.peak_at, e.utc_offset_minutes);
  }
  return text;
}

std::string countsField(std::string_view title, const std::vector<NamedCount>& counts,
                        std::size_t listed) {
  std::string text = "*" + std::string(title) + "*";
  for (std::size_t i = 0; i < counts.size() && i < listed; ++i) {
    text += "\n" + code(counts[i].name) + " ×" + groupThousands(counts[i].count);
  }
  if (counts.size() > listed) text += "\n+" + std::to_string(counts.size() - listed) + " more";
  return text;
}

std::vector<std::string> fieldTexts(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  const int offset = e.utc_offset_minutes;
  // A zone's abbreviation comes from a TZif file or TZ string, which may write "<+09>".
  const std::string zone = " " + escapedCut(zoneLabelOf(alert), kValueChars, kValueBytes);
  std::vector<std::string> fields;
  fields.push_back("*Rule*\n" + code(e.rule) + " · " + toString(e.rule_kind));
  fields.push_back("*Severity*\n" + code(toString(e.severity)));

  std::string where = "*Source / group*\n" + code(e.source);
  std::size_t listed = 0;
  for (const auto& [key, value] : e.group) {
    if (key == "source" && value == e.source) continue;
    if (listed++ == kListedInField) break;
    where += "\n" + escapedCut(key, kKeyChars, kKeyBytes) + " " + code(value);
  }
  fields.push_back(std::move(where));

  fields.push_back("*Started*\n`" + localDateTime(e.started_at, offset) + zone + "`");
  const bool same_day = localDateTime(e.started_at, offset).substr(0, 10) ==
                        localDateTime(e.fired_at, offset).substr(0, 10);
  fields.push_back("*Fired*\n`" +
                   (same_day ? localTime(e.fired_at, offset) : localDateTime(e.fired_at, offset)) +
                   zone + "`");
  if (e.resolved_at) {
    const bool resolved_same_day = localDateTime(e.started_at, offset).substr(0, 10) ==
                                   localDateTime(*e.resolved_at, offset).substr(0, 10);
    fields.push_back("*Resolved*\n`" +
                     (resolved_same_day ? localTime(*e.resolved_at, offset)
                                        : localDateTime(*e.resolved_at, offset)) +
                     zone + "` after " + shortDuration(incidentDuration(e)));
  }
  fields.push_back(requestsField(e));
  if (!e.upstreams.empty()) fields.push_back(countsField("Upstreams", e.upstreams, kListedInField));
  if (!e.top_paths.empty()) fields.push_back(countsField("Top path", e.top_paths, 1));
  if (!alert.hostname.empty()) fields.push_back("*Host*\n" + code(alert.hostname));
  if (fields.size() > kSlackMaxFields) fields.resize(kSlackMaxFields);
  return fields;
}

Json mrkdwn(std::string text) { return Json{{"type", "mrkdwn"}, {"text", std::move(text)}}; }
Json section(std::string text) {
  return Json{{"type", "section"}, {"text", mrkdwn(std::move(text))}};
}

std::string moreNote(std::size_t hidden, bool before) {
  return "… " + groupThousands(hidden) + " more lines" + (before ? " before" : "");
}

// `title`, then `lines` in a code block, in at most `budget` bytes. keep_newest: the newest lines
// are shown and the hidden older ones are counted above the block; otherwise the oldest are shown
// and the rest counted below it. Empty when not even the title fits.
std::string codeSection(const std::string& title, const std::vector<std::string>& lines,
                        bool keep_newest, std::size_t budget) {
  static constexpr std::string_view kOpen = "\n```\n";
  static constexpr std::string_view kClose = "\n```";
  if (title.size() + kMoreNoteBytes > budget) return {};
  const std::size_t fixed = title.size() + kOpen.size() + kClose.size() + kMoreNoteBytes;
  std::vector<std::string> shown;  // in the order taken: newest first when keep_newest
  std::size_t size = 0;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    const std::string& raw = keep_newest ? lines[lines.size() - 1 - k] : lines[k];
    std::string line = escapedCut(raw, kContextLineChars, kContextLineBytes);
    // A block of empty lines would collapse into a bare "``````"; a space keeps it a block.
    if (line.empty()) line = " ";
    const std::size_t add = line.size() + (shown.empty() ? 0 : 1);
    if (fixed + size + add > budget) break;
    size += add;
    shown.push_back(std::move(line));
  }
  if (keep_newest) std::reverse(shown.begin(), shown.end());
  const std::size_t hidden = lines.size() - shown.size();

  std::string text = title;
  if (hidden > 0 && (keep_newest || shown.empty())) text += "\n" + moreNote(hidden, keep_newest);
  if (!shown.empty()) {
    text += kOpen;
    for (std::size_t i = 0; i < shown.size(); ++i) {
      if (i > 0) text += '\n';
      text += shown[i];
    }
    text += kClose;
    if (hidden > 0 && !keep_newest) text += "\n" + moreNote(hidden, false);
  }
  return text;
}

std::string linesWord(std::size_t n) { return groupThousands(n) + (n == 1 ? " line" : " lines"); }

}  // namespace

std::string slackMessage(const Alert& alert) {
  const IncidentEvent& e = alert.event;
  Budget budget;

  const std::string headline = headlineText(alert);
  const std::string summary = escapedCut(alert.summary, kSummaryChars, kSummaryBytes);

  // The notification on a lock screen shows `text`: what and where, then how bad.
  std::string fallback = headline;
  if (!summary.empty()) fallback += "\n" + summary;
  budget.spend(fallback.size());

  std::string top = "*" + headline + "*";
  if (!summary.empty()) top += "\n" + summary;
  if (!e.detail.empty() && e.detail != alert.summary) {
    top += "\n_" + escapedCut(e.detail, kSummaryChars, kDetailBytes) + "_";
  }
  budget.spend(top.size());

  Json fields = Json::array();
  for (std::string& text : fieldTexts(alert)) {
    budget.spend(text.size());
    fields.push_back(mrkdwn(std::move(text)));
  }

  std::string footer = "incident " + code(e.incident_id);
  if (!alert.hostname.empty()) footer += " · gatewatch on " + code(alert.hostname);
  if (alert.test) {
    footer =
        std::string(kTestMark) + ": sent by `gatewatch test-alert`, nothing is wrong · " + footer;
  }
  budget.spend(footer.size());

  // The code blocks share what is left; the access lines get half when error.log lines follow.
  std::string access;
  if (!alert.context.access.empty()) {
    const std::size_t share = alert.context.error.empty() ? budget.left() : budget.left() / 2;
    access = codeSection("*Access log* · last " + linesWord(alert.context.access.size()),
                         alert.context.access, /*keep_newest=*/true,
                         std::min(kSlackSectionTextMax, share));
    budget.spend(access.size());
  }
  std::string errors;
  if (!alert.context.error.empty()) {
    errors =
        codeSection("*error.log* · " + linesWord(alert.context.error.size()), alert.context.error,
                    /*keep_newest=*/false, std::min(kSlackSectionTextMax, budget.left()));
    budget.spend(errors.size());
  }

  Json blocks = Json::array();
  blocks.push_back(section(std::move(top)));
  blocks.push_back(Json{{"type", "section"}, {"fields", std::move(fields)}});
  if (!access.empty()) blocks.push_back(section(std::move(access)));
  if (!errors.empty()) blocks.push_back(section(std::move(errors)));
  blocks.push_back(
      Json{{"type", "context"}, {"elements", Json::array({mrkdwn(std::move(footer))})}});

  // No "parse": "full" and no "link_names": text is taken as written, and nothing from a log
  // can become a mention or a link.
  const Json message{
      {"text", std::move(fallback)},
      {"blocks", std::move(blocks)},
      {"unfurl_links", false},
      {"unfurl_media", false},
  };
  return message.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gw
