// Values: durations, numbers and their ranges, statuses, log formats (errors pointing at the
// variable), sinks, listen addresses, time zones, redaction, tail.
#include <string>

#include "config/loader.h"
#include "config_test_util.h"

namespace gw {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::load;
using testing::problems;
using ::testing::SizeIs;
using testing::warnings;
using testing::withSource;

// A one-rule config with `key: value` on line 7, column 5.
ConfigLoad ratioRule(const std::string& key_value) {
  return load(withSource("rules:\n  - name: r\n    kind: ratio\n    " + key_value + "\n"));
}

TEST(ConfigDuration, AcceptsEveryDocumentedSpelling) {
  struct Case {
    const char* text;
    Millis expected;
  };
  using namespace std::chrono_literals;
  for (const Case& c : {Case{"500ms", 500ms}, Case{"30s", 30s}, Case{"5m", 5min}, Case{"2h", 2h},
                        Case{"1h30m", 90min}, Case{"1d", 24h}, Case{"1m30s500ms", 90'500ms}}) {
    const ConfigLoad l = ratioRule(std::string("window: ") + c.text);
    ASSERT_THAT(problems(l), IsEmpty()) << c.text;
    EXPECT_EQ(l.config.rules.at(0).window, c.expected) << c.text;
  }
}

TEST(ConfigDuration, BadDurationsSayHowToWriteOne) {
  EXPECT_THAT(problems(ratioRule("window: 5 min")),
              ElementsAre("t.yaml:7:13: bad duration '5 min': use 500ms, 30s, 5m, 2h"));
  EXPECT_THAT(problems(ratioRule("window: 1.5h")),
              ElementsAre("t.yaml:7:13: bad duration '1.5h': use 500ms, 30s, 5m, 2h"));
  EXPECT_THAT(problems(ratioRule("window: -5m")),
              ElementsAre("t.yaml:7:13: bad duration '-5m': use 500ms, 30s, 5m, 2h"));
  EXPECT_THAT(problems(ratioRule("window: 5M")),
              ElementsAre("t.yaml:7:13: bad duration '5M': use 500ms, 30s, 5m, 2h"));
  EXPECT_THAT(problems(ratioRule("window: 99999999999999999999999999999999999s")),
              ElementsAre("t.yaml:7:13: bad duration '99999999999999999999999999999999999s': "
                          "use 500ms, 30s, 5m, 2h"));
}

TEST(ConfigDuration, BareNumberAsksForAUnit) {
  EXPECT_THAT(problems(ratioRule("window: 30")),
              ElementsAre("t.yaml:7:13: bad duration '30': add a unit, e.g. 30s or 30m"));
}

TEST(ConfigDuration, WrongTypeAndRange) {
  EXPECT_THAT(
      problems(ratioRule("window: [30s]")),
      ElementsAre("t.yaml:7:13: window: expected a duration (500ms, 30s, 5m, 2h), got a list"));
  EXPECT_THAT(
      problems(ratioRule("window:")),
      ElementsAre("t.yaml:7:5: window: expected a duration (500ms, 30s, 5m, 2h), got nothing"));
  EXPECT_THAT(problems(ratioRule("window: 0s")),
              ElementsAre("t.yaml:7:13: window must be in (0s, 7d], got 0s"));
  EXPECT_THAT(problems(ratioRule("window: 8d")),
              ElementsAre("t.yaml:7:13: window must be in (0s, 7d], got 8d"));
  EXPECT_THAT(problems(ratioRule("repeat_interval: 0s")),
              ElementsAre("t.yaml:7:22: repeat_interval must be in (0s, 31d], got 0s"));
}

TEST(ConfigThreshold, RatioIsInZeroExclusiveToOneInclusive) {
  EXPECT_THAT(problems(ratioRule("ratio: 0")),
              ElementsAre("t.yaml:7:12: ratio must be in (0, 1], got 0"));
  EXPECT_THAT(problems(ratioRule("ratio: 1")), IsEmpty());
  EXPECT_THAT(problems(ratioRule("ratio: 5%")),
              ElementsAre("t.yaml:7:12: ratio: expected a number, got '5%' (write 5% as 0.05)"));
  EXPECT_THAT(problems(ratioRule("ratio: {a: 1}")),
              ElementsAre("t.yaml:7:12: ratio: expected a number, got a mapping"));
  EXPECT_THAT(problems(ratioRule("ratio: .nan")),
              ElementsAre("t.yaml:7:12: ratio: expected a number, got '.nan'"));
}

TEST(ConfigThreshold, CountAtLeastOneAndMinRequestsAtLeastZero) {
  EXPECT_THAT(problems(ratioRule("count: 0")),
              ElementsAre("t.yaml:7:12: count must be at least 1, got 0"));
  EXPECT_THAT(problems(ratioRule("count: 2.5")),
              ElementsAre("t.yaml:7:12: count: expected a whole number, got '2.5'"));
  EXPECT_THAT(problems(ratioRule("min_requests: 0")), IsEmpty());
  EXPECT_THAT(problems(ratioRule("min_requests: -1")),
              ElementsAre("t.yaml:7:19: min_requests: expected a whole number, got '-1'"));
  EXPECT_THAT(problems(ratioRule("count: 99999999999999999999999")),
              ElementsAre("t.yaml:7:12: count: expected a whole number, got "
                          "'99999999999999999999999'"));
}

TEST(ConfigThreshold, BurnRateObjectiveWindowsAndFactor) {
  const ConfigLoad l =
      load(withSource("rules:\n"
                      "  - name: b\n"
                      "    kind: burn_rate\n"
                      "    objective: 1\n"
                      "    windows:\n"
                      "      - {long: 5m, short: 1h, factor: 14.4}\n"
                      "      - {long: 1h, short: 5m, factor: 0}\n"
                      "      - {long: 1h, factor: 2}\n"
                      "      - {long: 1h, short: 5m, factor: 2, size: 3}\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:7:16: objective must be in (0, 1), got 1",
                          "t.yaml:9:27: short window 1h must be shorter than the long window 5m",
                          "t.yaml:10:39: factor must be more than 0, got 0",
                          "t.yaml:11:9: missing required key 'short' in windows #3",
                          "t.yaml:12:42: unknown key 'size'; keys here: long, short, factor"));
}

TEST(ConfigThreshold, BurnRateThatCanNeverFireWarns) {
  const ConfigLoad l =
      load(withSource("rules:\n"
                      "  - {name: b, kind: burn_rate, objective: 0.9, windows: [{long: 1h, short: "
                      "5m, factor: 14.4}]}\n"));
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(warnings(l), Contains("t.yaml:5:57: rule 'b' can never fire: factor 14.4 x (1 - "
                                    "objective 0.9) = 1.44 is above 1"));
}

TEST(ConfigThreshold, ContextAndTailLimits) {
  const ConfigLoad l =
      load(withSource("context: {lines_before: 5000, error_lines: 0}\n"
                      "tail: {checkpoint_lines: 0, rotate_grace: 0s}\n"
                      "history_retention: 5m\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:4:25: lines_before must be in [0, 1000], got 5000",
                          "t.yaml:5:26: checkpoint_lines must be at least 1, got 0",
                          "t.yaml:5:43: rotate_grace must be in (0s, 1h], got 0s",
                          "t.yaml:6:20: history_retention must be in [1h, 3650d], got 5m"));
}

TEST(ConfigStatus, StatusesOutside100To599OrNotNumbers) {
  EXPECT_THAT(problems(ratioRule("statuses: [99, 502, 600, abc]")),
              ElementsAre("t.yaml:7:16: status 99 is outside 100..599",
                          "t.yaml:7:25: status 600 is outside 100..599",
                          "t.yaml:7:30: statuses: expected an HTTP status (100..599), got 'abc'"));
  EXPECT_THAT(
      problems(ratioRule("statuses: []")),
      ElementsAre("t.yaml:7:15: statuses is an empty list: remove the key for the default "
                  "(ratio: [502, 503, 504]; consecutive: [502, 504]; burn_rate: every 5xx)"));
  EXPECT_THAT(problems(ratioRule("statuses: 502")),
              ElementsAre("t.yaml:7:15: statuses: expected a list of HTTP statuses, got '502' "
                          "(write [502] for a list of one)"));
}

TEST(ConfigGroupBy, OnlySourceHostUpstreamPath) {
  EXPECT_THAT(problems(ratioRule("group_by: [source, query]")),
              ElementsAre("t.yaml:7:24: unknown group_by 'query': use one of source, host, "
                          "upstream, path"));
  const ConfigLoad dup = ratioRule("group_by: [path, path]");
  EXPECT_THAT(problems(dup), IsEmpty());
  EXPECT_THAT(warnings(dup), Contains("t.yaml:7:22: group_by lists 'path' twice"));
  EXPECT_THAT(dup.config.rules.at(0).group_by, ElementsAre(GroupKey::kPath));
  const ConfigLoad none = ratioRule("group_by: []");
  EXPECT_THAT(problems(none), IsEmpty());
  EXPECT_THAT(none.config.rules.at(0).group_by, IsEmpty());
}

TEST(ConfigStringList, ErrorLogMatchMustBeAListOfStrings) {
  const ConfigLoad l =
      load(withSource("rules:\n"
                      "  - {name: e, kind: error_log, match: no live upstreams}\n"
                      "  - {name: f, kind: error_log, match: [[a]]}\n"
                      "  - {name: g, kind: error_log, match: []}\n"));
  EXPECT_THAT(
      problems(l),
      ElementsAre("t.yaml:5:39: match: expected a list of strings, got 'no live upstreams' (write "
                  "[no live upstreams] for a list of one)",
                  "t.yaml:6:40: match: expected a list of single values, got a list in it",
                  "t.yaml:7:39: match is an empty list: remove the key for the default "
                  "([\"connect() failed (111\", \"no live upstreams\", \"upstream timed out\"])"));
}

TEST(ConfigStringList, ErrorLogRuleOverSourcesWithoutErrorLogWarns) {
  const ConfigLoad l = load(withSource("rules:\n  - {name: e, kind: error_log}\n"));
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(warnings(l), Contains("t.yaml:5:5: rule 'e' reads error.log lines, but no source it "
                                    "watches has an error_log"));
  const ConfigLoad with_error_log =
      load(withSource("    error_log: /e\nrules:\n  - {name: e, kind: error_log}\n"));
  EXPECT_THAT(warnings(with_error_log), ::testing::Not(Contains(HasSubstr("reads error.log"))));
}

TEST(ConfigFormat, AStringOrAListOfStringsTriedInOrder) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - name: a\n"
      "    access_log: /a\n"
      "    format: main\n"
      "  - name: b\n"
      "    access_log: /b\n"
      "    format: [combined, '$remote_addr [$time_local] \"$request\" $status']\n");
  ASSERT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(l.config.sources.at(0).formats, ElementsAre("main"));
  EXPECT_THAT(l.config.sources.at(1).formats,
              ElementsAre("combined", "$remote_addr [$time_local] \"$request\" $status"));
}

TEST(ConfigFormat, UnknownPredefinedNameSuggestsOne) {
  const ConfigLoad l = load(withSource("    format: comined\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:13: unknown predefined format 'comined' (did you "
                                       "mean 'combined'?): use combined, main, or an nginx "
                                       "log_format string"));
}

TEST(ConfigFormat, ErrorPointsAtTheVariableInAPlainScalar) {
  // "    format: $remote_addr [$time_locl] ..." : $time_locl is at column 27.
  const ConfigLoad l =
      load(withSource("    format: $remote_addr [$time_locl] \"$request\" $status\n"));
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:4:27: format: unknown variable '$time_locl'"));
}

TEST(ConfigFormat, ErrorPointsAtTheVariableInQuotedScalars) {
  // Single-quoted YAML holding nginx's own quotes: '' is one quote in the value.
  const ConfigLoad single = load(withSource("    format: '''$remote_addr'' $stauts'\n"));
  ASSERT_THAT(problems(single), SizeIs(1));
  EXPECT_THAT(problems(single)[0], HasSubstr("t.yaml:4:31: format: unknown variable '$stauts'"));
  // Double-quoted with escapes before the variable: \" and \x41 are one value byte each.
  const ConfigLoad dbl = load(withSource("    format: \"\\\"$remote_addr\\\" \\x41 $stauts\"\n"));
  ASSERT_THAT(problems(dbl), SizeIs(1));
  EXPECT_THAT(problems(dbl)[0], HasSubstr("t.yaml:4:36: format: unknown variable '$stauts'"));
}

TEST(ConfigFormat, ErrorPointsAtTheVariableInsideALiteralBlock) {
  const ConfigLoad l =
      load(withSource("    format: |\n"
                      "      '$remote_addr - [$time_local] '\n"
                      "      '\"$request\" $status $upstream_adr'\n"));
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:6:27: format: unknown variable '$upstream_adr'"));
}

TEST(ConfigFormat, ErrorPointsAtTheVariableInsideAFoldedBlock) {
  const ConfigLoad l =
      load(withSource("    format: >-\n"
                      "      '$remote_addr - [$time_local]\n"
                      "      \"$request\" $status $upstream_adr'\n"));
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:6:26: format: unknown variable '$upstream_adr'"));
}

TEST(ConfigFormat, ErrorInTheSecondFormatOfAList) {
  const ConfigLoad l =
      load(withSource("    format:\n      - combined\n      - '$status $stauts'\n"));
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:6:18: format: unknown variable '$stauts'"));
}

TEST(ConfigFormat, EmptyListAndMappingAreRefused) {
  EXPECT_THAT(problems(load(withSource("    format: []\n"))),
              ElementsAre("t.yaml:4:13: format is an empty list: remove the key for the default "
                          "(combined)"));
  EXPECT_THAT(problems(load(withSource("    format: {a: b}\n"))),
              ElementsAre("t.yaml:4:13: format: expected a log format or a list of them, got a "
                          "mapping"));
}

TEST(ConfigSource, StartAtTimezoneAndErrorLog) {
  const ConfigLoad l =
      load(withSource("    error_log: /var/log/nginx/error.log\n"
                      "    start_at: beginning\n"
                      "    timezone: Asia/Seoul\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  const SourceConfig& s = l.config.sources.at(0);
  EXPECT_EQ(s.error_log, "/var/log/nginx/error.log");
  EXPECT_EQ(s.start_at, StartAt::kBeginning);
  EXPECT_EQ(s.timezone, "Asia/Seoul");
}

TEST(ConfigSource, UnknownOrHostileTimezone) {
  const ConfigLoad unknown = load(withSource("    timezone: Asia/Seul\n"));
  ASSERT_THAT(problems(unknown), SizeIs(1));
  EXPECT_THAT(problems(unknown)[0], HasSubstr("t.yaml:4:15: timezone 'Asia/Seul': "));
  EXPECT_THAT(problems(load(withSource("    timezone: ../../../dev/zero\n"))),
              ElementsAre("t.yaml:4:15: timezone '../../../dev/zero' is not an IANA zone name "
                          "such as Asia/Seoul or UTC"));
}

TEST(ConfigSource, NamesAreRestrictedToSafeCharacters) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - {name: 'my site', access_log: /a}\n"
      "  - {name: '', access_log: /b}\n"
      "  - {name: web, access_log: ''}\n");
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:2:12: name 'my site' has ' ' in it: use letters, digits, '.', "
                          "'_' and '-'",
                          "t.yaml:3:12: name is empty", "t.yaml:4:29: access_log is empty"));
}

TEST(ConfigSink, ExactlyOneOfUrlUrlEnvUrlFile) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: a, type: slack}\n"
                      "  - {name: b, type: slack, url_env: A, url_file: /f}\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:5:5: sink 'a' needs one of url, url_env, url_file",
                          "t.yaml:6:40: sink 'b' sets both url_env and url_file: keep one"));
}

TEST(ConfigSink, UrlInTheFileIsAWarningForSlackAndWebhookOnly) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: s, type: slack, url: 'https://hooks.slack.com/services/T/B/X'}\n"
                      "  - {name: am, type: alertmanager, url: 'http://127.0.0.1:9093'}\n"));
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(warnings(l), ElementsAre("t.yaml:5:28: sink 's' has its URL in the config file: "
                                       "prefer url_env or url_file (a slack URL is a secret)"));
  EXPECT_EQ(l.config.sinks.at(0).url, "https://hooks.slack.com/services/T/B/X");
  EXPECT_EQ(l.config.sinks.at(1).type, SinkType::kAlertmanager);
}

TEST(ConfigSink, SecretsAndPayloadOnlyOnWebhooks) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: s, type: slack, url_env: A, secret_env: S}\n"
                      "  - {name: am, type: alertmanager, url_env: B, payload: alertmanager}\n"
                      "  - {name: w, type: webhook, url_env: C, secret_env: S, secret_file: /s}\n"
                      "  - {name: x, type: webhook, url_env: D, payload: prometheus}\n"));
  EXPECT_THAT(
      problems(l),
      ElementsAre("t.yaml:5:40: 'secret_env' does not apply to a slack sink: it belongs to "
                  "webhook sinks",
                  "t.yaml:6:48: 'payload' does not apply to an alertmanager sink: it belongs to "
                  "webhook sinks",
                  "t.yaml:7:57: sink 'w' sets both secret_env and secret_file: keep one",
                  "t.yaml:8:51: unknown payload 'prometheus': use one of gatewatch, alertmanager"));
}

TEST(ConfigSink, WebhookWithSecretAndAlertmanagerPayload) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - name: w\n"
                      "    type: webhook\n"
                      "    url_file: /etc/gatewatch/url\n"
                      "    secret_env: GW_SECRET\n"
                      "    payload: alertmanager\n"
                      "    max_age: 2h\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  const SinkConfig& s = l.config.sinks.at(0);
  EXPECT_EQ(s.type, SinkType::kWebhook);
  EXPECT_EQ(s.url_file, "/etc/gatewatch/url");
  EXPECT_EQ(s.secret_env, "GW_SECRET");
  EXPECT_EQ(s.payload, WebhookPayload::kAlertmanager);
  EXPECT_EQ(s.max_age, std::chrono::hours(2));
}

TEST(ConfigSink, BadEnvNamesUrlsAndTypes) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: a, type: slack, url_env: $SLACK_URL}\n"
                      "  - {name: b, type: webhook, url: 'ftp://x'}\n"
                      "  - {name: c, type: pagerduty, url_env: X}\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:5:37: url_env '$SLACK_URL' is not an environment variable name "
                          "(letters, digits, '_'): write it without the '$'",
                          "t.yaml:6:35: url 'ftp://x' must start with http:// or https://",
                          "t.yaml:7:21: unknown type 'pagerduty': use one of slack, webhook, "
                          "alertmanager"));
}

TEST(ConfigListen, HostPortValidation) {
  struct Case {
    const char* value;
    const char* problem;  // "" when valid
  };
  for (const Case& c : {
           Case{"127.0.0.1:9177", ""},
           Case{"'[::1]:9177'", ""},
           Case{"localhost:80", ""},
           Case{"''", ""},
           Case{"9177", "listen '9177' needs host:port, e.g. 127.0.0.1:9177"},
           Case{"127.0.0.1:70000", "listen '127.0.0.1:70000': the port must be 1..65535"},
           Case{"127.0.0.1:0", "listen '127.0.0.1:0': the port must be 1..65535"},
           Case{"':9177'",
                "listen ':9177' has no host: 127.0.0.1:PORT for this machine only, "
                "0.0.0.0:PORT for every interface"},
           Case{"'::1:9177'",
                "listen '::1:9177': put an IPv6 address in brackets, e.g. [::1]:9177"},
           Case{"'[::1]9177'", "listen '[::1]9177': write an IPv6 address as [::1]:9177"},
       }) {
    const ConfigLoad l = load(withSource(std::string("http: {listen: ") + c.value + "}\n"));
    if (std::string(c.problem).empty()) {
      EXPECT_THAT(problems(l), IsEmpty()) << c.value;
    } else {
      EXPECT_THAT(problems(l), ElementsAre(std::string("t.yaml:4:16: ") + c.problem)) << c.value;
    }
  }
  EXPECT_EQ(load(withSource("http: {listen: ''}\n")).config.http.listen, "");
}

TEST(ConfigContext, RedactListSetsBothSwitches) {
  const ConfigLoad ips =
      load(withSource("context: {redact: [ips], redact_patterns: ['k=\\d+']}\n"));
  ASSERT_THAT(problems(ips), IsEmpty());
  EXPECT_FALSE(ips.config.context.redact_query_values);
  EXPECT_TRUE(ips.config.context.redact_ips);
  EXPECT_THAT(ips.config.context.redact_patterns, ElementsAre("k=\\d+"));
  const ConfigLoad none = load(withSource("context: {redact: []}\n"));
  ASSERT_THAT(problems(none), IsEmpty());
  EXPECT_FALSE(none.config.context.redact_query_values);
  EXPECT_FALSE(none.config.context.redact_ips);
  EXPECT_THAT(problems(load(withSource("context: {redact: [query_value]}\n"))),
              ElementsAre("t.yaml:4:20: unknown redact 'query_value' (did you mean "
                          "'query_values'?): use one of query_values, ips"));
  EXPECT_THAT(problems(load(withSource("context: [a]\n"))),
              ElementsAre("t.yaml:4:10: context: expected a mapping, got a list"));
}

TEST(ConfigTail, EveryTailKeyLandsInTailConfig) {
  const ConfigLoad l =
      load(withSource("tail:\n"
                      "  rotate_grace: 1m\n"
                      "  safety_check: 2s\n"
                      "  checkpoint_interval: 500ms\n"
                      "  checkpoint_lines: 100\n"
                      "  max_line_bytes: 2048\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  using namespace std::chrono_literals;
  EXPECT_EQ(l.config.tail.rotate_grace, 1min);
  EXPECT_EQ(l.config.tail.safety_check, 2s);
  EXPECT_EQ(l.config.tail.checkpoint_interval, 500ms);
  EXPECT_EQ(l.config.tail.checkpoint_lines, 100u);
  EXPECT_EQ(l.config.tail.max_line_bytes, 2048u);
}

}  // namespace
}  // namespace gw
