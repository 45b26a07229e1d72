// SourceMap and sourceOffsetInScalar: where a byte of a scalar's value was written.
#include "config/source_map.h"

#include <gtest/gtest.h>

#include <string>

namespace gw {
namespace {

// The offset in `text` of the value byte `value_offset` of the scalar starting at `marker`.
std::size_t locate(std::string_view text, std::string_view marker, std::string_view value,
                   std::size_t value_offset) {
  const std::size_t start = text.find(marker);
  EXPECT_NE(start, std::string_view::npos);
  return sourceOffsetInScalar(text, start, value, value_offset);
}

TEST(SourceMap, LinesAndCharacterColumns) {
  const SourceMap map("ab\ncdé\nxyz");
  EXPECT_EQ(map.at(0).line, 1);
  EXPECT_EQ(map.at(0).column, 1);
  EXPECT_EQ(map.at(4).line, 2);
  EXPECT_EQ(map.at(4).column, 2);
  // 'y' is after "cdé\nx": é is two bytes but one column.
  EXPECT_EQ(map.at(9).line, 3);
  EXPECT_EQ(map.at(9).column, 2);
  EXPECT_EQ(map.at(7).column, 4);   // the '\n' after é
  EXPECT_EQ(map.at(1000).line, 3);  // past the end: the end
}

TEST(ScalarOffset, PlainScalarMapsOneToOne) {
  const std::string text = "format: $a $b\n";
  EXPECT_EQ(locate(text, "$a", "$a $b", 3), text.find("$b"));
}

TEST(ScalarOffset, SingleQuotedFollowsDoubledQuotes) {
  const std::string text = "f: '''x'' $b'\n";  // value: 'x' $b
  EXPECT_EQ(locate(text, "'''", "'x' $b", 4), text.find("$b"));
}

TEST(ScalarOffset, DoubleQuotedFollowsEscapes) {
  const std::string text = "f: \"\\\"a\\\" \\x41\\u00e9 $b\"\n";  // value: "a" Aé $b
  EXPECT_EQ(locate(text, "\"", "\"a\" A\xC3\xA9 $b", 8), text.find("$b"));
}

TEST(ScalarOffset, LiteralBlockSkipsIndentation) {
  const std::string text = "f: |\n    one\n    two $b\n";
  EXPECT_EQ(locate(text, "|", "one\ntwo $b\n", 8), text.find("$b"));
}

TEST(ScalarOffset, FoldedBlockCountsALineBreakAsOneByte) {
  const std::string text = "f: >-\n  one\n  two $b\n";
  EXPECT_EQ(locate(text, ">", "one two $b", 8), text.find("$b"));
}

TEST(ScalarOffset, MultiLinePlainScalarFoldsLines) {
  const std::string text = "f: one\n   two $b\n";
  EXPECT_EQ(locate(text, "one", "one two $b", 8), text.find("$b"));
}

TEST(ScalarOffset, OffsetsPastTheEndStayInsideTheText) {
  const std::string text = "f: 'ab";
  EXPECT_LE(locate(text, "'", "ab", 50), text.size());
  EXPECT_EQ(sourceOffsetInScalar(text, 100, "ab", 1), text.size());
}

}  // namespace
}  // namespace gw
