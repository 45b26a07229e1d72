// The loader's structure: defaults, unknown keys, missing and duplicate names, references,
// YAML syntax, hostile input. Every problem is asserted with its exact FILE:LINE:COL.
#include <string>

#include "config/loader.h"
#include "config_test_util.h"

namespace gw {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kSources;
using testing::load;
using testing::problems;
using ::testing::SizeIs;
using testing::warnings;
using testing::withSource;

std::vector<std::string> ruleNames(const Config& c) {
  std::vector<std::string> out;
  for (const RuleConfig& r : c.rules) out.push_back(r.name);
  return out;
}

TEST(ConfigDefaults, FourLineConfigWithOneSourceGetsTheDefaultRules) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - name: web\n"
      "    access_log: /var/log/nginx/access.log\n"
      "\n");
  ASSERT_THAT(problems(l), IsEmpty());
  ASSERT_THAT(l.config.sources, SizeIs(1));
  const SourceConfig& s = l.config.sources[0];
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.access_log, "/var/log/nginx/access.log");
  EXPECT_THAT(s.formats, ElementsAre("combined"));
  EXPECT_EQ(s.start_at, StartAt::kEnd);
  EXPECT_EQ(s.timezone, "");
  EXPECT_THAT(ruleNames(l.config), ElementsAre("upstream-down", "upstream-failure-rate"));
  EXPECT_EQ(l.config.http.listen, "127.0.0.1:9177");
  EXPECT_EQ(l.config.state_dir, "/var/lib/gatewatch");
  EXPECT_EQ(l.config.path, "t.yaml");
  EXPECT_THAT(warnings(l),
              ElementsAre("t.yaml:1:1: no sinks: `gatewatch run` prints alerts on "
                          "stdout and records them in history (add one under sinks:)"));
}

TEST(ConfigDefaults, ExplicitEmptyRulesListMeansNoRulesAndWarns) {
  const ConfigLoad l = load(withSource("rules: []\n"));
  EXPECT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(l.config.rules, IsEmpty());
  EXPECT_THAT(warnings(l),
              Contains(HasSubstr("t.yaml:4:8: rules: is an empty list, so no rule will "
                                 "fire; remove the key for the default rules")));
}

TEST(ConfigDefaults, EachRuleKindGetsItsOwnDefaults) {
  const ConfigLoad l =
      load(withSource("rules:\n"
                      "  - {name: r, kind: ratio}\n"
                      "  - {name: c, kind: consecutive}\n"
                      "  - {name: b, kind: burn_rate}\n"
                      "  - {name: e, kind: error_log}\n"
                      "  - {name: s, kind: silence}\n"
                      "  - {name: rc, kind: ratio, count: 7}\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  ASSERT_THAT(l.config.rules, SizeIs(6));
  const RuleConfig& ratio = l.config.rules[0];
  EXPECT_EQ(ratio.kind, RuleKind::kRatio);
  EXPECT_EQ(ratio.ratio, 0.05);
  EXPECT_FALSE(ratio.count.has_value());
  EXPECT_THAT(ratio.statuses, ElementsAre(502, 503, 504));
  EXPECT_THAT(ratio.group_by, ElementsAre(GroupKey::kSource));
  EXPECT_EQ(ratio.window, std::chrono::seconds(60));
  EXPECT_EQ(ratio.min_requests, 20u);

  const RuleConfig& consecutive = l.config.rules[1];
  EXPECT_EQ(consecutive.count, 3u);
  EXPECT_EQ(consecutive.within, std::chrono::minutes(30));
  EXPECT_THAT(consecutive.statuses, ElementsAre(502, 504));
  EXPECT_THAT(consecutive.group_by, ElementsAre(GroupKey::kSource, GroupKey::kUpstream));

  const RuleConfig& burn = l.config.rules[2];
  EXPECT_THAT(burn.statuses, IsEmpty());  // every 5xx
  EXPECT_EQ(burn.objective, 0.999);
  ASSERT_THAT(burn.burn_windows, SizeIs(2));
  EXPECT_EQ(burn.burn_windows[0].long_window, std::chrono::hours(1));
  EXPECT_EQ(burn.burn_windows[0].short_window, std::chrono::minutes(5));
  EXPECT_EQ(burn.burn_windows[0].factor, 14.4);
  EXPECT_EQ(burn.burn_windows[1].long_window, std::chrono::hours(6));
  EXPECT_EQ(burn.burn_windows[1].short_window, std::chrono::minutes(30));
  EXPECT_EQ(burn.burn_windows[1].factor, 6);

  const RuleConfig& error_log = l.config.rules[3];
  EXPECT_EQ(error_log.count, 3u);
  EXPECT_THAT(error_log.match,
              ElementsAre("connect() failed (111", "no live upstreams", "upstream timed out"));

  const RuleConfig& silence = l.config.rules[4];
  EXPECT_EQ(silence.after, std::chrono::minutes(15));
  EXPECT_EQ(silence.min_previous, 100u);

  const RuleConfig& count_only = l.config.rules[5];
  EXPECT_FALSE(count_only.ratio.has_value()) << "a count alone must not gain a default ratio";
  EXPECT_EQ(count_only.count, 7u);
}

TEST(ConfigDefaults, CommonRuleKeysAreApplied) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: ops, type: slack, url_env: SLACK_URL}\n"
                      "rules:\n"
                      "  - name: r\n"
                      "    kind: ratio\n"
                      "    sources: [web]\n"
                      "    group_by: [host, path]\n"
                      "    for: 10s\n"
                      "    resolve_after: 5m\n"
                      "    repeat_interval: 1h30m\n"
                      "    severity: warning\n"
                      "    sinks: [ops]\n"
                      "    max_groups: 500\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  const RuleConfig& r = l.config.rules.at(0);
  EXPECT_THAT(r.sources, ElementsAre("web"));
  EXPECT_THAT(r.group_by, ElementsAre(GroupKey::kHost, GroupKey::kPath));
  EXPECT_EQ(r.for_duration, std::chrono::seconds(10));
  EXPECT_EQ(r.resolve_after, std::chrono::minutes(5));
  EXPECT_EQ(r.repeat_interval, std::chrono::minutes(90));
  EXPECT_EQ(r.severity, Severity::kWarning);
  EXPECT_THAT(r.sinks, ElementsAre("ops"));
  EXPECT_EQ(r.max_groups, 500u);
  EXPECT_THAT(warnings(l), IsEmpty());
}

TEST(ConfigUnknownKey, MisspeltKeySuggestsTheClosestKeyOfItsSection) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - name: web\n"
      "    acces_log: /var/log/nginx/access.log\n");
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:2:5: missing required key 'access_log' in source 'web'",
                          "t.yaml:3:5: unknown key 'acces_log' (did you mean 'access_log'?)"));
}

TEST(ConfigUnknownKey, TopLevelTypoAndTranspositionAreSuggested) {
  const ConfigLoad l = load(withSource("snks: []\nhttp:\n  lsiten: 127.0.0.1:1\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:4:1: unknown key 'snks' (did you mean 'sinks'?)",
                          "t.yaml:6:3: unknown key 'lsiten' (did you mean 'listen'?)"));
}

TEST(ConfigUnknownKey, FarFromEveryKeyListsTheKeysOfItsSection) {
  const ConfigLoad l = load(withSource("tail:\n  banana: 1\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:5:3: unknown key 'banana'; keys here: rotate_grace, "
                          "safety_check, checkpoint_interval, checkpoint_lines, max_line_bytes"));
}

TEST(ConfigUnknownKey, RuleKeySuggestionsComeFromRuleKeys) {
  const ConfigLoad l = load(withSource("rules:\n  - {name: r, kind: ratio, min_request: 5}\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:5:28: unknown key 'min_request' (did you mean "
                                       "'min_requests'?)"));
}

TEST(ConfigUnknownKey, KeyOfAnotherRuleKindNamesTheKindsItBelongsTo) {
  const ConfigLoad l =
      load(withSource("rules:\n"
                      "  - name: r\n"
                      "    kind: ratio\n"
                      "    objective: 0.99\n"
                      "  - name: b\n"
                      "    kind: burn_rate\n"
                      "    count: 3\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:7:5: 'objective' does not apply to a ratio rule: it belongs to "
                          "burn_rate rules",
                          "t.yaml:10:5: 'count' does not apply to a burn_rate rule: it belongs to "
                          "ratio, consecutive, error_log rules"));
}

TEST(ConfigUnknownKey, KeyOrderDoesNotMatterForKindChecks) {
  // kind comes after the key it governs.
  const ConfigLoad l = load(withSource("rules:\n  - {name: r, within: 5m, kind: silence}\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:5:15: 'within' does not apply to a silence rule: "
                                       "it belongs to consecutive rules"));
}

TEST(ConfigUnknownKey, UnknownRuleKindSuggestsAndListsTheKinds) {
  const ConfigLoad l = load(withSource("rules:\n  - {name: r, kind: ratoi, objective: 0.9}\n"));
  // With the kind unknown, no key is refused for its kind: one problem, about the kind.
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:5:21: unknown kind 'ratoi' (did you mean 'ratio'?): "
                                       "use one of ratio, consecutive, burn_rate, error_log, "
                                       "silence"));
}

TEST(ConfigMissing, RuleWithoutKindOrName) {
  const ConfigLoad l = load(withSource("rules:\n  - count: 3\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:5:5: missing required key 'name' in rule #1",
                          "t.yaml:5:5: missing required key 'kind' in rule #1: use one of ratio, "
                          "consecutive, burn_rate, error_log, silence"));
}

TEST(ConfigMissing, NoSourcesKeyIsAnError) {
  const ConfigLoad l = load("state_dir: /tmp/x\n");
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:1:1: no sources: add one under sources: (name:, access_log:)"));
}

TEST(ConfigMissing, EmptySourcesListIsAnError) {
  const ConfigLoad l = load("state_dir: /tmp/x\nsources: []\n");
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:2:10: no sources: add one under sources: (name:, access_log:)"));
}

TEST(ConfigDuplicate, TwoSourcesRulesOrSinksWithOneName) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - {name: web, access_log: /a}\n"
      "  - {name: web, access_log: /b}\n"
      "sinks:\n"
      "  - {name: s, type: slack, url_env: A}\n"
      "  - {name: s, type: slack, url_env: B}\n"
      "rules:\n"
      "  - {name: r, kind: ratio}\n"
      "  - {name: r, kind: silence}\n");
  EXPECT_THAT(
      problems(l),
      ElementsAre("t.yaml:3:12: duplicate source name 'web' (first at 2:12): names must be unique",
                  "t.yaml:6:12: duplicate sink name 's' (first at 5:12): names must be unique",
                  "t.yaml:9:12: duplicate rule name 'r' (first at 8:12): names must be unique"));
}

TEST(ConfigDuplicate, SameKeyTwiceInOneMapping) {
  const ConfigLoad l = load(withSource("state_dir: /a\nstate_dir: /b\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:5:1: duplicate key 'state_dir' (first at 4:1): keep one"));
}

TEST(ConfigReference, RuleNamingAnUndefinedSourceOrSink) {
  const ConfigLoad l =
      load(withSource("sinks:\n"
                      "  - {name: ops-slack, type: slack, url_env: A}\n"
                      "rules:\n"
                      "  - name: r\n"
                      "    kind: ratio\n"
                      "    sources: [web, wbe, api]\n"
                      "    sinks: [ops-slak]\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:9:20: rule 'r' names source 'wbe', which is not defined (did "
                          "you mean 'web'?)",
                          "t.yaml:9:25: rule 'r' names source 'api', which is not defined; "
                          "sources: web",
                          "t.yaml:10:13: rule 'r' names sink 'ops-slak', which is not defined "
                          "(did you mean 'ops-slack'?)"));
}

TEST(ConfigReference, RuleNamingASinkWhenThereAreNone) {
  const ConfigLoad l = load(withSource("rules:\n  - {name: r, kind: ratio, sinks: [pager]}\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:5:36: rule 'r' names sink 'pager', which is not "
                                       "defined: there are no sinks"));
}

TEST(ConfigSyntax, YamlSyntaxErrorIsReportedAtItsMark) {
  const ConfigLoad l = load(withSource("rules: [\n  {name: r\n"));
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:6:1: YAML syntax error: "));
}

TEST(ConfigSyntax, BadIndentationIsASyntaxError) {
  const ConfigLoad l = load("sources:\n  - name: a\n   access_log: /x\n");
  ASSERT_THAT(problems(l), SizeIs(1));
  EXPECT_THAT(problems(l)[0], HasSubstr("t.yaml:3:"));
  EXPECT_THAT(problems(l)[0], HasSubstr("YAML syntax error"));
}

TEST(ConfigSyntax, UndefinedAliasIsASyntaxError) {
  const ConfigLoad l = load(withSource("rules: *nothing\n"));
  EXPECT_THAT(problems(l), ElementsAre(HasSubstr("t.yaml:4:8: YAML syntax error: the referenced "
                                                 "anchor is not defined")));
}

TEST(ConfigSyntax, EmptyFileSaysSo) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n"}) {
    const ConfigLoad l = load(text);
    EXPECT_THAT(problems(l), ElementsAre("t.yaml:1:1: the config is empty: add a source under "
                                         "sources: (see config/gatewatch.yaml)"))
        << "input: " << text;
  }
}

TEST(ConfigSyntax, TopLevelListOrScalarIsNotAConfig) {
  EXPECT_THAT(problems(load("- name: web\n- access_log: /x\n")),
              ElementsAre("t.yaml:1:1: expected a mapping of keys (sources:, rules:, sinks: ...) "
                          "at the top, got a list"));
  EXPECT_THAT(problems(load("just words\n")),
              ElementsAre("t.yaml:1:1: expected a mapping of keys (sources:, rules:, sinks: ...) "
                          "at the top, got 'just words'"));
}

TEST(ConfigSyntax, SecondDocumentIsRefused) {
  const ConfigLoad l = load(withSource("---\nstate_dir: /x\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:1: a second YAML document: a config is one "
                                       "document (remove the '---')"));
}

TEST(ConfigSyntax, TopLevelCommaIsASyntaxErrorNotAnEndlessLoop) {
  // yaml-cpp 0.7's LoadAll makes empty documents forever on this input (found by fuzz_config).
  EXPECT_THAT(problems(load(", upstream, path\n    severity: critical\n")),
              ElementsAre("t.yaml:1:1: YAML syntax error: text the YAML parser cannot read"));
}

TEST(ConfigSyntax, NonScalarKeyIsReported) {
  const ConfigLoad l = load(withSource("? [a, b]\n: c\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:3: expected a key name, got a list"));
}

TEST(ConfigAnchors, AliasesReuseValuesAndXKeysHoldAnchors) {
  const ConfigLoad l =
      load(withSource("x-statuses: &st [502, 504]\n"
                      "rules:\n"
                      "  - {name: a, kind: ratio, statuses: *st}\n"
                      "  - {name: b, kind: consecutive, statuses: *st}\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(l.config.rules.at(0).statuses, ElementsAre(502, 504));
  EXPECT_THAT(l.config.rules.at(1).statuses, ElementsAre(502, 504));
}

TEST(ConfigAnchors, ProblemInAnAliasedValueIsReportedOnceAtTheAnchor) {
  const ConfigLoad l =
      load(withSource("x-statuses: &st [502, 700]\n"
                      "rules:\n"
                      "  - {name: a, kind: ratio, statuses: *st}\n"
                      "  - {name: b, kind: ratio, statuses: *st}\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:23: status 700 is outside 100..599"));
}

TEST(ConfigAnchors, MergeKeysAreRefusedWithAnExplanation) {
  const ConfigLoad l =
      load(withSource("x-base: &base {kind: ratio, window: 30s}\n"
                      "rules:\n"
                      "  - name: r\n"
                      "    <<: *base\n"));
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:6:5: missing required key 'kind' in rule 'r': use one of ratio, "
                          "consecutive, burn_rate, error_log, silence",
                          "t.yaml:7:5: YAML merge keys (<<) are not supported: repeat the keys, or "
                          "alias a whole value"));
}

TEST(ConfigEnvironment, VariablesInValuesAreNotExpanded) {
  const ConfigLoad l = load(
      "state_dir: ${HOME}/state\n"
      "sources:\n"
      "  - {name: web, access_log: $LOG_DIR/access.log}\n");
  ASSERT_THAT(problems(l), IsEmpty());
  EXPECT_EQ(l.config.state_dir, "${HOME}/state");
  EXPECT_EQ(l.config.sources.at(0).access_log, "$LOG_DIR/access.log");
}

TEST(ConfigManyProblems, EveryProblemInOneFileIsReportedInFileOrder) {
  const ConfigLoad l = load(
      "sorces: []\n"                                 // 1
      "sources:\n"                                   // 2
      "  - name: web\n"                              // 3
      "    access_log: /var/log/nginx/access.log\n"  // 4
      "    start_at: middle\n"                       // 5
      "rules:\n"                                     // 6
      "  - name: r\n"                                // 7
      "    kind: ratio\n"                            // 8
      "    window: 5 min\n"                          // 9
      "    ratio: 1.5\n"                             // 10
      "    statuses: [502, 600]\n"                   // 11
      "    group_by: [source, upstrem]\n"            // 12
      "    sinks: [nope]\n"                          // 13
      "sinks:\n"                                     // 14
      "  - name: s\n"                                // 15
      "    type: slack\n"                            // 16
      "tail:\n"                                      // 17
      "  max_line_bytes: 10\n");                     // 18
  EXPECT_THAT(
      problems(l),
      ElementsAre("t.yaml:1:1: unknown key 'sorces' (did you mean 'sources'?)",
                  "t.yaml:5:15: unknown start_at 'middle': use one of end, beginning",
                  "t.yaml:9:13: bad duration '5 min': use 500ms, 30s, 5m, 2h",
                  "t.yaml:10:12: ratio must be in (0, 1], got 1.5",
                  "t.yaml:11:21: status 600 is outside 100..599",
                  "t.yaml:12:24: unknown group_by 'upstrem' (did you mean 'upstream'?): use one of "
                  "source, host, upstream, path",
                  "t.yaml:13:13: rule 'r' names sink 'nope', which is not defined; sinks: s",
                  "t.yaml:15:5: sink 's' needs one of url, url_env, url_file",
                  "t.yaml:18:19: max_line_bytes must be in [1024, 16777216], got 10"));
}

TEST(ConfigManyProblems, ProblemsBeyondTheCapAreCountedInOneLine) {
  std::string text(kSources);
  for (int i = 0; i < 250; ++i) text += "unknown_" + std::to_string(i) + ": 1\n";
  const ConfigLoad l = load(text);
  ASSERT_THAT(l.problems, SizeIs(kMaxConfigProblems + 1));
  EXPECT_EQ(l.problems.back().toString(), "t.yaml: ... and 150 more problems not shown");
}

TEST(ConfigHostile, GarbageBytesGiveProblemsNotACrash) {
  const std::string inputs[] = {
      std::string("\x00\x01\x02\xff\xfe sources: [", 16),
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
      "sources:\n  - name: \xff\xfe\n    access_log: /x\n",
      "{{{{{{{{]]]]]]",
      "&a [*a]",
      "!!binary sources",
      std::string("sources:\n  - name: a\0b\n    access_log: /x\n", 40),
  };
  for (const std::string& input : inputs) {
    const ConfigLoad l = load(input);
    EXPECT_FALSE(l.ok()) << "input: " << input;
  }
}

TEST(ConfigHostile, UnicodeKeysAndValuesCountColumnsInCharacters) {
  const ConfigLoad l = load(
      "sources:\n"
      "  - {name: wéb, access_log: /var/log/nginx/日本.log}\n"
      "ソース: 1\n");
  EXPECT_THAT(problems(l),
              ElementsAre("t.yaml:2:12: name 'wéb' has '\xC3' in it: use letters, digits, '.', '_' "
                          "and '-'",
                          "t.yaml:3:1: unknown key 'ソース'; keys here: state_dir, http, sources, "
                          "rules, sinks, context, tail, history_retention, minutes_retention"));
  // Column after multi-byte characters: "  - {name: wéb, " is 16 characters, 17 bytes.
  const ConfigLoad after = load("sources:\n  - {name: wéb, acces_log: /x}\n");
  EXPECT_THAT(problems(after), Contains("t.yaml:2:17: unknown key 'acces_log' (did you mean "
                                        "'access_log'?)"));
}

TEST(ConfigHostile, ControlCharactersInValuesAreEscapedInMessages) {
  const ConfigLoad l = load(withSource("tail: {rotate_grace: \"\\e[31mred\"}\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:22: bad duration '\\x1B[31mred': use 500ms, 30s, "
                                       "5m, 2h"));
}

TEST(ConfigHostile, DeepFlowNestingIsRefusedWithoutOverflowingTheStack) {
  const ConfigLoad l = load(std::string(100'000, '['));
  ASSERT_THAT(l.problems, SizeIs(1));
  EXPECT_THAT(l.problems[0].message, HasSubstr("YAML"));
}

TEST(ConfigHostile, DeepBlockNestingIsRefusedWithoutOverflowingTheStack) {
  std::string text;
  for (int i = 0; i < 100'000; ++i) text += "- ";
  text += "x\n";
  const ConfigLoad l = load(text);
  ASSERT_THAT(l.problems, SizeIs(1));
  EXPECT_EQ(l.problems[0].message, "YAML nested too deeply (a gatewatch config needs 4 levels)");
}

TEST(ConfigHostile, ModerateNestingInsideAValueIsAWrongTypeNotACrash) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "[";
  for (int i = 0; i < 200; ++i) deep += "]";
  const ConfigLoad l =
      load(withSource("rules: [{name: r, kind: ratio, statuses: " + deep + "}]\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:4:43: statuses: expected a list of single values, "
                                       "got a list in it"));
}

TEST(ConfigHostile, TextOverOneMebibyteIsRefusedBeforeParsing) {
  const std::string big(kMaxConfigBytes + 1, '#');
  const ConfigLoad l = load(big);
  EXPECT_THAT(problems(l), ElementsAre("t.yaml: the file is 1048577 bytes; a config is at most "
                                       "1048576 (is this the right file?)"));
}

TEST(ConfigHostile, ByteOrderMarkAndCrlfLineEndingsKeepPositions) {
  const ConfigLoad l = load(
      "\xEF\xBB\xBFsources:\r\n"
      "  - name: web\r\n"
      "    acces_log: /x\r\n");
  EXPECT_THAT(problems(l), Contains("t.yaml:3:5: unknown key 'acces_log' (did you mean "
                                    "'access_log'?)"));
}

TEST(ConfigProblemText, ProblemWithoutPositionHasNoLineAndColumn) {
  EXPECT_EQ((ConfigProblem{"a.yaml", 0, 0, "cannot open"}).toString(), "a.yaml: cannot open");
  EXPECT_EQ((ConfigProblem{"a.yaml", 3, 7, "bad"}).toString(), "a.yaml:3:7: bad");
}

}  // namespace
}  // namespace gw
