// didYouMean: likely typos get a suggestion, unrelated words don't.
#include "config/did_you_mean.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace gw {
namespace {

constexpr std::string_view kKeys[] = {"access_log", "error_log", "format",
                                      "start_at",   "timezone",  "name"};

TEST(DidYouMean, OneOrTwoEditsAwaySuggests) {
  EXPECT_EQ(didYouMean("acces_log", kKeys), "access_log");  // deletion
  EXPECT_EQ(didYouMean("fromat", kKeys), "format");         // transposition
  EXPECT_EQ(didYouMean("timzeone", kKeys), "timezone");     // transposition
  EXPECT_EQ(didYouMean("start_att", kKeys), "start_at");    // insertion
  EXPECT_EQ(didYouMean("error_lgo", kKeys), "error_log");
}

TEST(DidYouMean, CaseAndDashesDoNotCount) {
  EXPECT_EQ(didYouMean("Access-Log", kKeys), "access_log");
  EXPECT_EQ(didYouMean("NAME", kKeys), "name");
}

TEST(DidYouMean, UnrelatedOrHugeWordsGetNothing) {
  EXPECT_EQ(didYouMean("banana", kKeys), "");
  EXPECT_EQ(didYouMean("nm", kKeys), "");  // two edits on a short word is too far
  EXPECT_EQ(didYouMean(std::string(100'000, 'a'), kKeys), "");
  EXPECT_EQ(didYouMean("", kKeys), "");
}

TEST(EditDistance, StopsAtTheLimit) {
  EXPECT_EQ(editDistance("abc", "abc", 2), 0u);
  EXPECT_EQ(editDistance("abc", "acb", 2), 1u);
  EXPECT_EQ(editDistance("abc", "xyz", 2), 3u);
  EXPECT_EQ(editDistance("a", "abcdef", 2), 3u);
}

}  // namespace
}  // namespace gw
