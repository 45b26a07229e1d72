// The pure line splitter: partial lines, overlong lines, NUL holes, offsets and fingerprints.
#include "tail/line_splitter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace gw {
namespace {

struct Got {
  std::string text;
  uint64_t end_offset;
  bool cut;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{\"" << g.text << "\", " << g.end_offset << (g.cut ? ", cut}" : "}");
}

// Feeds `bytes` through prepare/commit in reads of at most the splitter's chunk and collects
// every line, copying the views before the next prepare() invalidates them.
std::vector<Got> feed(LineSplitter& splitter, std::string_view bytes) {
  std::vector<Got> out;
  while (!bytes.empty()) {
    std::span<char> room = splitter.prepare();
    EXPECT_FALSE(room.empty());
    const std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    splitter.commit(n);
    bytes.remove_prefix(n);
    while (auto p = splitter.next()) out.push_back({std::string(p->text), p->end_offset, p->cut});
  }
  return out;
}

TEST(LineSplitter, DeliversCompleteLinesAndHoldsThePartialOne) {
  LineSplitter s(1024);
  EXPECT_EQ(feed(s, "one\ntwo\nthr"), (std::vector<Got>{{"one", 4, false}, {"two", 8, false}}));
  EXPECT_EQ(s.lineOffset(), 8u);
  EXPECT_EQ(s.readOffset(), 11u);
  EXPECT_EQ(s.held(), 3u);
  EXPECT_EQ(feed(s, "ee\n"), (std::vector<Got>{{"three", 14, false}}));
  EXPECT_EQ(s.held(), 0u);
}

TEST(LineSplitter, SplitsTheSameWhateverTheReadSizes) {
  std::string text;
  std::vector<Got> expected;
  for (int i = 0; i < 500; ++i) {
    const std::string line = "line " + std::to_string(i) + std::string(i % 37, 'x');
    text += line + "\n";
    expected.push_back({line, text.size(), false});
  }
  for (std::size_t chunk : {1u, 3u, 7u, 64u, 4096u}) {
    LineSplitter s(1024, chunk);
    EXPECT_EQ(feed(s, text), expected) << "chunk " << chunk;
  }
}

TEST(LineSplitter, EmptyLinesAreLines) {
  LineSplitter s(16);
  EXPECT_EQ(feed(s, "\n\na\n"),
            (std::vector<Got>{{"", 1, false}, {"", 2, false}, {"a", 4, false}}));
}

TEST(LineSplitter, FlushHandsOutTheHeldPartialLine) {
  LineSplitter s(64);
  EXPECT_TRUE(feed(s, "done\nhalf").size() == 1);
  auto p = s.flush();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->text, "half");
  EXPECT_EQ(p->end_offset, 9u);
  EXPECT_EQ(s.lineOffset(), 9u);
  EXPECT_FALSE(s.flush());
}

TEST(LineSplitter, OverlongLineWithItsNewlineIsCutAndTheOffsetMovesPastIt) {
  LineSplitter s(8);
  EXPECT_EQ(feed(s, "0123456789abc\nok\n"),
            (std::vector<Got>{{"01234567", 14, true}, {"ok", 17, false}}));
  EXPECT_EQ(s.linesCut(), 1u);
}

TEST(LineSplitter, OverlongLineWithoutNewlineIsCutThenItsRestSkipped) {
  LineSplitter s(8, 4);
  auto got = feed(s, "0123456789abcdef");  // no newline yet: memory stays bounded
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "01234567");
  EXPECT_TRUE(got[0].cut);
  EXPECT_TRUE(s.skippingLine());
  EXPECT_LE(s.held(), 8u);
  got = feed(s, "ghij\nnext\n");
  EXPECT_EQ(got, (std::vector<Got>{{"next", 26, false}}));
  EXPECT_FALSE(s.skippingLine());
  EXPECT_EQ(s.lineOffset(), 26u);
  EXPECT_EQ(s.linesCut(), 1u);
}

TEST(LineSplitter, NulHoleBeforeALineIsSkipped) {
  LineSplitter s(64);
  const std::string hole(100, '\0');
  EXPECT_EQ(feed(s, hole + "after truncation\n"),
            (std::vector<Got>{{"after truncation", 117, false}}));
  EXPECT_EQ(s.nulBytesSkipped(), 100u);
}

TEST(LineSplitter, NulHoleAtTheEndIsNotALine) {
  LineSplitter s(64);
  EXPECT_TRUE(feed(s, std::string("a\n") + std::string(10, '\0')).size() == 1);
  EXPECT_FALSE(s.flush());
  EXPECT_EQ(s.lineOffset(), 12u);
}

TEST(LineSplitter, ResetWithSkipLineDropsTheRestOfTheLine) {
  LineSplitter s(64);
  s.reset(1000, {}, {}, /*skip_line=*/true);
  EXPECT_EQ(feed(s, "of a line\nwhole\n"), (std::vector<Got>{{"whole", 1016, false}}));
}

TEST(LineSplitter, MarkerIsTheBytesJustBeforeTheLineOffset) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "entry number " + std::to_string(i) + "\n";
  LineSplitter s(1024, 10);  // small reads: the marker spans compactions
  feed(s, text + "partial");
  const std::string consumed = text;
  EXPECT_EQ(s.markerBytes(), consumed.substr(consumed.size() - kMarkerBytes));
  EXPECT_EQ(s.marker(), fingerprintOf(consumed.substr(consumed.size() - kMarkerBytes)));
  EXPECT_EQ(s.headBytes(), consumed.substr(0, kHeadBytes));
}

TEST(LineSplitter, MarkerOfAShortFileIsAllOfIt) {
  LineSplitter s(64);
  feed(s, "ab\ncd\n");
  EXPECT_EQ(s.markerBytes(), "ab\ncd\n");
  EXPECT_EQ(s.headBytes(), "ab\ncd\n");
}

TEST(LineSplitter, ResetCarriesMarkerAndHeadOfTheResumedFile) {
  LineSplitter s(64);
  s.reset(6, "ab\ncd\n", "ab\ncd\n");
  feed(s, "ef\n");
  EXPECT_EQ(s.markerBytes(), "ab\ncd\nef\n");
  EXPECT_EQ(s.headBytes(), "ab\ncd\nef\n");
}

TEST(LineSplitter, ReleaseFreesTheBufferWithoutLosingPlace) {
  LineSplitter s(64);
  feed(s, "a\nb\n");
  s.release();
  EXPECT_EQ(s.lineOffset(), 4u);
  EXPECT_EQ(s.markerBytes(), "a\nb\n");
  EXPECT_EQ(feed(s, "c\n"), (std::vector<Got>{{"c", 6, false}}));
}

}  // namespace
}  // namespace gw
