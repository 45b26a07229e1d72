// context.redact_patterns are RE2 patterns, compiled when the config is loaded: one that does not
// compile is a problem at its FILE:LINE:COL naming RE2's reason, not a surprise when the daemon
// starts or an alert is composed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace gw::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(ConfigRedactPatterns, ValidPatternsAreKeptInOrder) {
  const ConfigLoad l =
      load(withSource("context:\n"
                      "  redact_patterns: ['password=(\\S+)', '(?i)bearer \\S+']\n"));
  ASSERT_THAT(problems(l), IsEmpty());
  EXPECT_THAT(l.config.context.redact_patterns, ElementsAre("password=(\\S+)", "(?i)bearer \\S+"));
}

TEST(ConfigRedactPatterns, PatternThatDoesNotCompileIsAProblemAtItsPosition) {
  // Line 5: "    - 'token=(\w+'" — RE2 names the whole pattern for a missing ')', so the column is
  // the value's first character, after the quote.
  const ConfigLoad l =
      load(withSource("context:\n"
                      "  redact_patterns:\n"
                      "    - 'ok'\n"
                      "    - 'token=(\\w+'\n"));
  EXPECT_THAT(problems(l), ElementsAre("t.yaml:7:8: redact_patterns: pattern 'token=(\\w+' does "
                                       "not compile: missing ): token=(\\w+ (RE2 syntax: "
                                       "github.com/google/re2/wiki/Syntax)"));
}

TEST(ConfigRedactPatterns, ErrorPointsAtTheOffendingPartOfThePattern) {
  // "  redact_patterns: [abc\qdef, 'a{2,1}']": RE2 names "\q" (column 24) and "{2,1}" (33).
  const ConfigLoad l =
      load(withSource("context:\n"
                      "  redact_patterns: [abc\\qdef, 'a{2,1}']\n"));
  ASSERT_THAT(problems(l), SizeIs(2));
  EXPECT_EQ(problems(l)[0],
            "t.yaml:5:24: redact_patterns: pattern 'abc\\qdef' does not compile: invalid escape "
            "sequence: \\q (RE2 syntax: github.com/google/re2/wiki/Syntax)");
  EXPECT_EQ(problems(l)[1],
            "t.yaml:5:33: redact_patterns: pattern 'a{2,1}' does not compile: invalid repetition "
            "size: {2,1} (RE2 syntax: github.com/google/re2/wiki/Syntax)");
}

TEST(ConfigRedactPatterns, BacktrackingOnlySyntaxIsRefused) {
  // RE2 has no backreferences or lookarounds: that is what keeps it linear.
  const ConfigLoad l =
      load(withSource("context:\n"
                      "  redact_patterns: ['(a)\\1', '(?=x)y']\n"));
  ASSERT_THAT(problems(l), SizeIs(2));
  EXPECT_THAT(problems(l)[0], ::testing::HasSubstr("invalid escape sequence: \\1"));
  EXPECT_THAT(problems(l)[1], ::testing::HasSubstr("invalid perl operator: (?="));
}

}  // namespace
}  // namespace gw::testing
