#include "config/key_table.h"

#include <array>
#include <cstdio>

namespace gw::keys {
namespace {

using namespace std::chrono_literals;
using VT = ValueType;

constexpr double kMsPerDay = 86'400'000.0;

// Limits, each with its reason.
// Rule windows: the detector keeps buckets per window per group; a week is beyond any alerting
// use (the SRE workbook's slowest burn window is 3 days) and keeps that memory bounded.
constexpr Range kRuleWindow{.min = 0, .max = 7 * kMsPerDay, .min_open = true};
// Waits (for, resolve_after): zero allowed, a day is already longer than any incident wait.
constexpr Range kWait{.min = 0, .max = 1 * kMsPerDay};
// Reminder and outbox ages: must be positive (0 would remind on every tick), at most a month.
constexpr Range kPositiveUpToMonth{.min = 0, .max = 31 * kMsPerDay, .min_open = true};
// History: at least an hour (shorter would delete alerts before anyone reads them), ten years max.
constexpr Range kRetention{.min = 3'600'000.0, .max = 3650 * kMsPerDay};
// Tail timers: positive, and an hour is already too slow to notice a rotation.
constexpr Range kTailTimer{.min = 0, .max = 3'600'000.0, .min_open = true};
constexpr Range kAtLeastOne{.min = 1};
constexpr Range kNonNegative{.min = 0};
// Groups per rule: the bound that keeps a flood of random Host headers from exhausting memory.
constexpr Range kMaxGroups{.min = 1, .max = 1'000'000};
// Context lines kept per alert (and per group in the rings): alerts are read on phones.
constexpr Range kContextLines{.min = 0, .max = 1000};
// A line longer than this is cut and counted; nginx lines above 16 MiB are not log lines.
constexpr Range kLineBytes{.min = 1024, .max = 16.0 * 1024 * 1024};
constexpr Range kRatio{.min = 0, .max = 1, .min_open = true};
constexpr Range kObjective{.min = 0, .max = 1, .min_open = true, .max_open = true};
constexpr Range kPositive{.min = 0, .min_open = true};

constexpr AppliesTo kUpstreamKinds =
    bit(RuleKind::kRatio) | bit(RuleKind::kConsecutive) | bit(RuleKind::kBurnRate);

constexpr auto kTop = std::to_array<KeyRow<Config>>({
    {.name = "state_dir",
     .type = VT::kPath,
     .default_text = "/var/lib/gatewatch",
     .doc = "Directory of the SQLite state database: read checkpoints, the alert outbox and "
            "alert history.",
     .apply = [](Config& c, const Value& v) { c.state_dir = v.text; }},
    {.name = "http",
     .type = VT::kMapping,
     .doc = "The status server: /healthz, /metrics (Prometheus), /api/alerts."},
    {.name = "sources",
     .type = VT::kMappingList,
     .doc = "The nginx logs to watch, at least one.",
     .required = true},
    {.name = "rules",
     .type = VT::kMappingList,
     .default_text = "upstream-down, upstream-failure-rate",
     .doc = "When to alert. Absent: the default rules upstream-down (consecutive) and "
            "upstream-failure-rate (ratio). An empty list means no rules."},
    {.name = "sinks",
     .type = VT::kMappingList,
     .doc = "Where alerts go. None: `gatewatch run` prints alerts on stdout (and history records "
            "them)."},
    {.name = "context", .type = VT::kMapping, .doc = "What log lines alerts carry, and redaction."},
    {.name = "tail", .type = VT::kMapping, .doc = "How log files are followed (rarely changed)."},
    {.name = "history_retention",
     .type = VT::kDuration,
     .default_text = "90d",
     .doc = "Alert history older than this is deleted.",
     .range = kRetention,
     .apply = [](Config& c, const Value& v) { c.history_retention = v.duration; }},
    {.name = "minutes_retention",
     .type = VT::kDuration,
     .default_text = "14d",
     .doc = "Per-minute request and failure counts of every source (the history page's "
            "charts) older than this are deleted.",
     .range = kRetention,
     .apply = [](Config& c, const Value& v) { c.minutes_retention = v.duration; }},
});

constexpr auto kHttp = std::to_array<KeyRow<HttpConfig>>({
    {.name = "listen",
     .type = VT::kListen,
     .default_text = "127.0.0.1:9177",
     .doc = "host:port of the status server ([::1]:9177 for IPv6); \"\" turns it off.",
     .apply = [](HttpConfig& h, const Value& v) { h.listen = v.text; }},
    {.name = "auth_user",
     .type = VT::kString,
     .doc = "Basic auth user for every endpoint but /healthz; set with auth_password_hash "
            "when listen is not loopback.",
     .apply = [](HttpConfig& h, const Value& v) { h.auth_user = v.text; }},
    {.name = "auth_password_hash",
     .type = VT::kString,
     .doc = "crypt(3) hash of the basic auth password, from `mkpasswd -m yescrypt` or "
            "`openssl passwd -6`.",
     .apply = [](HttpConfig& h, const Value& v) { h.auth_password_hash = v.text; }},
});

constexpr auto kSource = std::to_array<KeyRow<SourceConfig>>({
    {.name = "name",
     .type = VT::kName,
     .doc = "Names the source in alerts, metrics and rules' sources:.",
     .required = true,
     .apply = [](SourceConfig& s, const Value& v) { s.name = v.text; }},
    {.name = "access_log",
     .type = VT::kPath,
     .doc = "The access log: a path or a glob.",
     .required = true,
     .apply = [](SourceConfig& s, const Value& v) { s.access_log = v.text; }},
    {.name = "error_log",
     .type = VT::kString,
     .doc = "The matching nginx error.log; its lines go into alerts and error_log rules. "
            "Optional.",
     .apply = [](SourceConfig& s, const Value& v) { s.error_log = v.text; }},
    {.name = "format",
     .type = VT::kLogFormats,
     .default_text = "combined",
     .doc = "A predefined name (combined, main) or an nginx log_format string verbatim; a list "
            "of them is tried in order (a file written by two access_log directives).",
     .range = kAtLeastOne,
     .apply = [](SourceConfig& s, const Value& v) { s.formats = v.texts; }},
    {.name = "start_at",
     .type = VT::kChoice,
     .default_text = "end",
     .doc = "Where reading starts on the very first run; later runs resume from the checkpoint.",
     .choices = "end|beginning",
     .apply = [](SourceConfig& s, const Value& v) { s.start_at = static_cast<StartAt>(v.choice); }},
    {.name = "timezone",
     .type = VT::kTimeZone,
     .default_text = "the server's zone (TZ)",
     .doc = "IANA zone of log times written without an offset (nginx error.log).",
     .apply = [](SourceConfig& s, const Value& v) { s.timezone = v.text; }},
});

constexpr auto kRule = std::to_array<KeyRow<RuleConfig>>({
    {.name = "name",
     .type = VT::kName,
     .doc = "Names the rule in alerts, history and metrics.",
     .required = true,
     .apply = [](RuleConfig& r, const Value& v) { r.name = v.text; }},
    {.name = "kind",
     .type = VT::kChoice,
     .doc = "What the rule measures; decides which other keys apply.",
     .required = true,
     .choices = "ratio|consecutive|burn_rate|error_log|silence",
     .apply = [](RuleConfig& r, const Value& v) { r.kind = static_cast<RuleKind>(v.choice); }},
    {.name = "sources",
     .type = VT::kNameList,
     .default_text = "every source",
     .doc = "The sources the rule watches.",
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.sources = v.texts; }},
    {.name = "group_by",
     .type = VT::kChoiceList,
     .default_text = "[source]; consecutive: [source, upstream]",
     .doc = "One incident per distinct value of these keys.",
     .choices = "source|host|upstream|path",
     .apply =
         [](RuleConfig& r, const Value& v) {
           r.group_by.clear();
           for (std::size_t c : v.choice_list) r.group_by.push_back(static_cast<GroupKey>(c));
         }},
    {.name = "for",
     .type = VT::kDuration,
     .default_text = "0s",
     .doc = "The condition must hold this long before the rule fires.",
     .range = kWait,
     .apply = [](RuleConfig& r, const Value& v) { r.for_duration = v.duration; }},
    {.name = "resolve_after",
     .type = VT::kDuration,
     .default_text = "120s",
     .doc = "Healthy traffic this long resolves a firing incident (no traffic never does).",
     .range = kWait,
     .apply = [](RuleConfig& r, const Value& v) { r.resolve_after = v.duration; }},
    {.name = "repeat_interval",
     .type = VT::kDuration,
     .default_text = "4h",
     .doc = "A reminder is sent this often while the incident is still firing.",
     .range = kPositiveUpToMonth,
     .apply = [](RuleConfig& r, const Value& v) { r.repeat_interval = v.duration; }},
    {.name = "severity",
     .type = VT::kChoice,
     .default_text = "critical",
     .doc = "Carried in alerts (and Alertmanager labels).",
     .choices = "info|warning|critical",
     .apply = [](RuleConfig& r, const Value& v) { r.severity = static_cast<Severity>(v.choice); }},
    {.name = "sinks",
     .type = VT::kNameList,
     .default_text = "every sink",
     .doc = "The sinks the rule's alerts go to.",
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.sinks = v.texts; }},
    {.name = "max_groups",
     .type = VT::kCount,
     .default_text = "10000",
     .doc = "Groups tracked at once; beyond this the least recently seen is evicted (counted).",
     .range = kMaxGroups,
     .apply = [](RuleConfig& r, const Value& v) { r.max_groups = v.count; }},
    {.name = "statuses",
     .type = VT::kStatusList,
     .default_text = "ratio: [502, 503, 504]; consecutive: [502, 504]; burn_rate: every 5xx",
     .doc = "The statuses that count as failures.",
     .applies = kUpstreamKinds,
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.statuses = v.statuses; }},
    {.name = "window",
     .type = VT::kDuration,
     .default_text = "60s",
     .doc = "The sliding window requests (ratio), error.log matches (error_log) or the traffic "
            "that decides quiet_below (consecutive) are counted in.",
     .applies = bit(RuleKind::kRatio) | bit(RuleKind::kErrorLog) | bit(RuleKind::kConsecutive),
     .range = kRuleWindow,
     .apply = [](RuleConfig& r, const Value& v) { r.window = v.duration; }},
    {.name = "min_requests",
     .type = VT::kCount,
     .default_text = "20",
     .doc = "No verdict on fewer requests than this in the window.",
     .applies = bit(RuleKind::kRatio),
     .range = kNonNegative,
     .apply = [](RuleConfig& r, const Value& v) { r.min_requests = v.count; }},
    {.name = "ratio",
     .type = VT::kNumber,
     .default_text = "0.05 when neither ratio nor count is set",
     .doc = "Fire when failures/requests >= ratio, in (0, 1].",
     .applies = bit(RuleKind::kRatio),
     .range = kRatio,
     .apply = [](RuleConfig& r, const Value& v) { r.ratio = v.number; }},
    {.name = "count",
     .type = VT::kCount,
     .default_text = "ratio: none; consecutive: 3; error_log: 3",
     .doc = "ratio: fire only with at least count failures (with ratio: both must hold); "
            "consecutive: the last count requests all failed; error_log: matching lines in the "
            "window.",
     .applies = bit(RuleKind::kRatio) | bit(RuleKind::kConsecutive) | bit(RuleKind::kErrorLog),
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.count = v.count; }},
    {.name = "within",
     .type = VT::kDuration,
     .default_text = "30m",
     .doc = "The consecutive failures must all fall inside this span.",
     .applies = bit(RuleKind::kConsecutive),
     .range = kRuleWindow,
     .apply = [](RuleConfig& r, const Value& v) { r.within = v.duration; }},
    {.name = "quiet_below",
     .type = VT::kCount,
     .default_text = "20",
     .doc = "consecutive judges only while the group had fewer requests than this in the last "
            "window: busier traffic is the ratio rule's to judge, and a run of failures there is "
            "noise. 0: always judges.",
     .applies = bit(RuleKind::kConsecutive),
     .range = kNonNegative,
     .apply = [](RuleConfig& r, const Value& v) { r.quiet_below = v.count; }},
    {.name = "objective",
     .type = VT::kNumber,
     .default_text = "0.999",
     .doc = "The SLO: the share of requests that should succeed, in (0, 1).",
     .applies = bit(RuleKind::kBurnRate),
     .range = kObjective,
     .apply = [](RuleConfig& r, const Value& v) { r.objective = v.number; }},
    {.name = "windows",
     .type = VT::kBurnWindows,
     .default_text = "[{long: 1h, short: 5m, factor: 14.4}, {long: 6h, short: 30m, factor: 6}]",
     .doc = "Fire when, in any pair, both windows burn the error budget faster than factor x "
            "(1 - objective) (Google SRE workbook, ch. 5).",
     .applies = bit(RuleKind::kBurnRate),
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.burn_windows = v.windows; }},
    {.name = "match",
     .type = VT::kStringList,
     .default_text = "[\"connect() failed (111\", \"no live upstreams\", \"upstream timed out\"]",
     .doc = "Substrings of error.log messages that count (case-sensitive).",
     .applies = bit(RuleKind::kErrorLog),
     .range = kAtLeastOne,
     .apply = [](RuleConfig& r, const Value& v) { r.match = v.texts; }},
    {.name = "after",
     .type = VT::kDuration,
     .default_text = "15m",
     .doc = "Fire when no request arrived for this long.",
     .applies = bit(RuleKind::kSilence),
     .range = kRuleWindow,
     .apply = [](RuleConfig& r, const Value& v) { r.after = v.duration; }},
    {.name = "min_previous",
     .type = VT::kCount,
     .default_text = "100",
     .doc = "Only when the span before the silence had at least this many requests.",
     .applies = bit(RuleKind::kSilence),
     .range = kNonNegative,
     .apply = [](RuleConfig& r, const Value& v) { r.min_previous = v.count; }},
});

constexpr auto kBurnWindow = std::to_array<KeyRow<BurnWindow>>({
    {.name = "long",
     .type = VT::kDuration,
     .doc = "The long window: the budget really is burning.",
     .required = true,
     .range = kRuleWindow,
     .apply = [](BurnWindow& w, const Value& v) { w.long_window = v.duration; }},
    {.name = "short",
     .type = VT::kDuration,
     .doc = "The short window, shorter than long: it is still burning now (quick reset).",
     .required = true,
     .range = kRuleWindow,
     .apply = [](BurnWindow& w, const Value& v) { w.short_window = v.duration; }},
    {.name = "factor",
     .type = VT::kNumber,
     .doc = "The burn rate: how many times faster than the budget allows, > 0.",
     .required = true,
     .range = kPositive,
     .apply = [](BurnWindow& w, const Value& v) { w.factor = v.number; }},
});

constexpr AppliesTo kWebhookOnly = bit(SinkType::kWebhook);

constexpr auto kSink = std::to_array<KeyRow<SinkConfig>>({
    {.name = "name",
     .type = VT::kName,
     .doc = "Names the sink in rules' sinks:, history and `gatewatch test-alert --sink`.",
     .required = true,
     .apply = [](SinkConfig& s, const Value& v) { s.name = v.text; }},
    {.name = "type",
     .type = VT::kChoice,
     .doc = "slack (incoming webhook), webhook (JSON POST), alertmanager (API v2).",
     .required = true,
     .choices = "slack|webhook|alertmanager",
     .apply = [](SinkConfig& s, const Value& v) { s.type = static_cast<SinkType>(v.choice); }},
    {.name = "url",
     .type = VT::kUrl,
     .doc = "The endpoint, written in the config. Exactly one of url, url_env, url_file; for "
            "slack and webhook prefer url_env or url_file (the URL is a secret).",
     .apply = [](SinkConfig& s, const Value& v) { s.url = v.text; }},
    {.name = "url_env",
     .type = VT::kEnvName,
     .doc = "The environment variable holding the URL (read at run time).",
     .apply = [](SinkConfig& s, const Value& v) { s.url_env = v.text; }},
    {.name = "url_file",
     .type = VT::kPath,
     .doc = "A file holding the URL, read at run time (keeps the URL out of the config).",
     .apply = [](SinkConfig& s, const Value& v) { s.url_file = v.text; }},
    {.name = "secret_env",
     .type = VT::kEnvName,
     .doc = "The environment variable holding the HMAC-SHA256 key; the body's signature goes in "
            "X-Gatewatch-Signature. At most one of secret_env, secret_file.",
     .applies = kWebhookOnly,
     .apply = [](SinkConfig& s, const Value& v) { s.secret_env = v.text; }},
    {.name = "secret_file",
     .type = VT::kPath,
     .doc = "A file holding the HMAC-SHA256 key.",
     .applies = kWebhookOnly,
     .apply = [](SinkConfig& s, const Value& v) { s.secret_file = v.text; }},
    {.name = "payload",
     .type = VT::kChoice,
     .default_text = "gatewatch",
     .doc = "The JSON shape: gatewatch's own, or Alertmanager's webhook shape (version 4).",
     .applies = kWebhookOnly,
     .choices = "gatewatch|alertmanager",
     .apply = [](SinkConfig& s,
                 const Value& v) { s.payload = static_cast<WebhookPayload>(v.choice); }},
    {.name = "max_age",
     .type = VT::kDuration,
     .default_text = "24h",
     .doc = "An alert still undelivered after this long is dropped from the outbox (and counted).",
     .range = kPositiveUpToMonth,
     .apply = [](SinkConfig& s, const Value& v) { s.max_age = v.duration; }},
});

constexpr auto kContext = std::to_array<KeyRow<ContextConfig>>({
    {.name = "lines_before",
     .type = VT::kCount,
     .default_text = "20",
     .doc = "Access log lines of the failing group, up to the alert, carried in it.",
     .range = kContextLines,
     .apply = [](ContextConfig& c,
                 const Value& v) { c.lines_before = static_cast<uint32_t>(v.count); }},
    {.name = "error_lines",
     .type = VT::kCount,
     .default_text = "20",
     .doc = "error.log lines of the incident's span carried in an alert.",
     .range = kContextLines,
     .apply = [](ContextConfig& c,
                 const Value& v) { c.error_lines = static_cast<uint32_t>(v.count); }},
    {.name = "redact",
     .type = VT::kChoiceList,
     .default_text = "[query_values]",
     .doc = "What is masked in alert lines: query_values (the values of query parameters), ips "
            "(client addresses). [] masks nothing.",
     .choices = "query_values|ips",
     .apply =
         [](ContextConfig& c, const Value& v) {
           c.redact_query_values = false;
           c.redact_ips = false;
           for (std::size_t choice : v.choice_list)
             (choice == 0 ? c.redact_query_values : c.redact_ips) = true;
         }},
    {.name = "redact_patterns",
     .type = VT::kPatternList,
     .default_text = "[]",
     .doc = "Extra RE2 patterns (github.com/google/re2/wiki/Syntax) whose matches are masked in "
            "alert lines; a pattern with capture groups masks only what its groups match.",
     .apply = [](ContextConfig& c, const Value& v) { c.redact_patterns = v.texts; }},
});

constexpr auto kTail = std::to_array<KeyRow<TailConfig>>({
    {.name = "rotate_grace",
     .type = VT::kDuration,
     .default_text = "30s",
     .doc = "A rotated (renamed) file is drained and closed once quiet this long.",
     .range = kTailTimer,
     .apply = [](TailConfig& t, const Value& v) { t.rotate_grace = v.duration; }},
    {.name = "safety_check",
     .type = VT::kDuration,
     .default_text = "10s",
     .doc = "Every followed file is also stat()ed this often, in case a notification was missed.",
     .range = kTailTimer,
     .apply = [](TailConfig& t, const Value& v) { t.safety_check = v.duration; }},
    {.name = "checkpoint_interval",
     .type = VT::kDuration,
     .default_text = "1s",
     .doc = "Read offsets are saved at most this often ...",
     .range = kTailTimer,
     .apply = [](TailConfig& t, const Value& v) { t.checkpoint_interval = v.duration; }},
    {.name = "checkpoint_lines",
     .type = VT::kCount,
     .default_text = "10000",
     .doc = "... or after this many lines, whichever comes first.",
     .range = kAtLeastOne,
     .apply = [](TailConfig& t, const Value& v) { t.checkpoint_lines = v.count; }},
    {.name = "max_line_bytes",
     .type = VT::kCount,
     .default_text = "65536",
     .doc = "Longer lines are cut to this and counted, 1024..16777216.",
     .range = kLineBytes,
     .apply = [](TailConfig& t,
                 const Value& v) { t.max_line_bytes = static_cast<uint32_t>(v.count); }},
});

}  // namespace

std::span<const KeyRow<Config>> topKeys() { return kTop; }
std::span<const KeyRow<HttpConfig>> httpKeys() { return kHttp; }
std::span<const KeyRow<SourceConfig>> sourceKeys() { return kSource; }
std::span<const KeyRow<RuleConfig>> ruleKeys() { return kRule; }
std::span<const KeyRow<BurnWindow>> burnWindowKeys() { return kBurnWindow; }
std::span<const KeyRow<SinkConfig>> sinkKeys() { return kSink; }
std::span<const KeyRow<ContextConfig>> contextKeys() { return kContext; }
std::span<const KeyRow<TailConfig>> tailKeys() { return kTail; }

std::vector<std::string_view> splitChoices(std::string_view choices) {
  std::vector<std::string_view> out;
  while (!choices.empty()) {
    const std::size_t bar = choices.find('|');
    out.push_back(choices.substr(0, bar));
    if (bar == std::string_view::npos) break;
    choices.remove_prefix(bar + 1);
  }
  return out;
}

std::vector<uint16_t> defaultStatuses(RuleKind kind) {
  switch (kind) {
    case RuleKind::kRatio:
      return {502, 503, 504};
    case RuleKind::kConsecutive:
      // "The upstream is down": it refused or timed out. An application's own 503 (maintenance,
      // overload) is a busy-traffic signal that the ratio rule weighs.
      return {502, 504};
    default:
      return {};  // burn_rate: every 5xx; the others count no statuses
  }
}

std::vector<GroupKey> defaultGroupBy(RuleKind kind) {
  // A consecutive rule follows "the last N requests to an upstream": one run per upstream.
  if (kind == RuleKind::kConsecutive) return {GroupKey::kSource, GroupKey::kUpstream};
  return {GroupKey::kSource};
}

std::vector<BurnWindow> defaultBurnWindows() {
  return {{.long_window = 1h, .short_window = 5min, .factor = 14.4},
          {.long_window = 6h, .short_window = 30min, .factor = 6}};
}

std::vector<std::string> defaultErrorLogMatch() {
  // nginx's own words when the upstream is down, refusing or too slow.
  return {"connect() failed (111", "no live upstreams", "upstream timed out"};
}

}  // namespace gw::keys

namespace gw::keys {

std::string typeText(ValueType type, std::string_view choices) {
  auto joined = [&] {
    std::string out;
    for (std::string_view c : splitChoices(choices)) {
      if (!out.empty()) out += ", ";
      out += c;
    }
    return out;
  };
  switch (type) {
    case ValueType::kName:
      return "a name";
    case ValueType::kNameList:
      return "a list of names";
    case ValueType::kString:
      return "a string";
    case ValueType::kPath:
      return "a path";
    case ValueType::kStringList:
      return "a list of strings";
    case ValueType::kPatternList:
      return "a list of RE2 patterns";
    case ValueType::kDuration:
      return "a duration (500ms, 30s, 5m, 2h)";
    case ValueType::kCount:
      return "a whole number";
    case ValueType::kNumber:
      return "a number";
    case ValueType::kChoice:
      return "one of " + joined();
    case ValueType::kChoiceList:
      return "a list of: " + joined();
    case ValueType::kStatusList:
      return "a list of HTTP statuses";
    case ValueType::kBurnWindows:
      return "a list of {long, short, factor}";
    case ValueType::kEnvName:
      return "an environment variable name";
    case ValueType::kUrl:
      return "a URL (http:// or https://)";
    case ValueType::kListen:
      return "host:port";
    case ValueType::kTimeZone:
      return "an IANA time zone name";
    case ValueType::kLogFormats:
      return "a log format or a list of them";
    case ValueType::kMapping:
      return "a mapping";
    case ValueType::kMappingList:
      return "a list of mappings";
  }
  return "?";
}

std::string durationText(Millis d) {
  struct Unit {
    long long ms;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  for (const Unit& unit : kUnits) {
    if (ms >= unit.ms) {
      out += std::to_string(ms / unit.ms) + unit.suffix;
      ms %= unit.ms;
    }
  }
  if (ms > 0) out += std::to_string(ms) + "ms";
  return out;
}

std::string numberText(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return buf;
}

bool inRange(const Range& range, double value) {
  if (range.min_open ? !(value > range.min) : !(value >= range.min)) return false;
  if (range.max_open ? !(value < range.max) : !(value <= range.max)) return false;
  return true;
}

bool isList(ValueType type) {
  switch (type) {
    case ValueType::kNameList:
    case ValueType::kStringList:
    case ValueType::kPatternList:
    case ValueType::kChoiceList:
    case ValueType::kStatusList:
    case ValueType::kBurnWindows:
    case ValueType::kLogFormats:
    case ValueType::kMappingList:
      return true;
    default:
      return false;
  }
}

std::string rangeText(ValueType type, const Range& range) {
  if (isList(type)) {
    const bool has_min = range.min > 0;
    return has_min ? "at least " + numberText(range.min) + (range.min == 1 ? " item" : " items")
                   : std::string();
  }
  auto show = [&](double v) {
    return type == ValueType::kDuration ? durationText(Millis(static_cast<long long>(v)))
                                        : numberText(v);
  };
  const bool has_min = range.min != -std::numeric_limits<double>::infinity();
  const bool has_max = range.max != std::numeric_limits<double>::infinity();
  if (has_min && has_max) {
    return std::string("in ") + (range.min_open ? "(" : "[") + show(range.min) + ", " +
           show(range.max) + (range.max_open ? ")" : "]");
  }
  if (has_min) return (range.min_open ? "more than " : "at least ") + show(range.min);
  if (has_max) return (range.max_open ? "less than " : "at most ") + show(range.max);
  return {};
}

}  // namespace gw::keys
