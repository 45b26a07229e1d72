#include "scan/line_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "../common/temp_dir.h"

namespace gw {
namespace {

std::vector<std::string> readAll(const std::string& path, LineReader** keep = nullptr) {
  auto reader = LineReader::open(path);
  EXPECT_TRUE(reader.ok());
  std::vector<std::string> lines;
  std::string_view line;
  while (reader.value()->next(line)) lines.emplace_back(line);
  (void)keep;
  return lines;
}

TEST(LineReader, SplitsLinesAndStripsCrlf) {
  testing::TempDir dir;
  const auto path = dir.write("a.log", "one\r\ntwo\nthree\r\n");
  EXPECT_EQ(readAll(path), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(LineReader, DeliversLastLineWithoutNewline) {
  testing::TempDir dir;
  const auto path = dir.write("a.log", "one\ntwo");
  EXPECT_EQ(readAll(path), (std::vector<std::string>{"one", "two"}));
}

TEST(LineReader, KeepsEmptyLinesAndNulBytes) {
  testing::TempDir dir;
  const auto path = dir.write("a.log", std::string("a\n\nb\0c\n", 7));
  const auto lines = readAll(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], std::string("b\0c", 3));
}

TEST(LineReader, CutsOverlongLineAndResumesAtTheNextOne) {
  testing::TempDir dir;
  const std::string huge(3 * LineReader::kMaxLineBytes + 17, 'x');
  const auto path = dir.write("a.log", "first\n" + huge + "\nlast\n");
  auto reader = LineReader::open(path);
  ASSERT_TRUE(reader.ok());
  std::string_view line;
  ASSERT_TRUE(reader.value()->next(line));
  EXPECT_EQ(line, "first");
  ASSERT_TRUE(reader.value()->next(line));
  EXPECT_EQ(line.size(), LineReader::kMaxLineBytes);
  ASSERT_TRUE(reader.value()->next(line));
  EXPECT_EQ(line, "last");
  EXPECT_FALSE(reader.value()->next(line));
  EXPECT_EQ(reader.value()->linesCut(), 1u);
  EXPECT_EQ(reader.value()->lineNumber(), 3u);
}

TEST(LineReader, OneMebibyteLineIsCutNotBuffered) {
  testing::TempDir dir;
  const auto path = dir.write("a.log", std::string(1 << 20, 'y'));  // no newline at all
  const auto lines = readAll(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].size(), LineReader::kMaxLineBytes);
}

TEST(LineReader, ReadsGzipTransparently) {
  testing::TempDir dir;
  const auto path = dir.file("a.log.2.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  const std::string text = "alpha\nbeta\n";
  gzwrite(gz, text.data(), unsigned(text.size()));
  gzclose(gz);
  EXPECT_EQ(readAll(path), (std::vector<std::string>{"alpha", "beta"}));
}

TEST(LineReader, TruncatedGzipEndsWithAnErrorNamingTheFile) {
  testing::TempDir dir;
  const auto full = dir.file("full.gz");
  gzFile gz = gzopen(full.c_str(), "wb");
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "line number " + std::to_string(i) + " with some padding text\n";
  gzwrite(gz, text.data(), unsigned(text.size()));
  gzclose(gz);
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const auto cut = dir.write("cut.gz", bytes.substr(0, bytes.size() / 2));

  auto reader = LineReader::open(cut);
  ASSERT_TRUE(reader.ok());
  std::string_view line;
  uint64_t n = 0;
  while (reader.value()->next(line)) ++n;
  EXPECT_GT(n, 0u);
  EXPECT_LT(n, 20000u);
  EXPECT_NE(reader.value()->error().find("cut.gz"), std::string::npos) << reader.value()->error();
}

TEST(LineReader, MissingFileIsAnErrorNamingThePath) {
  auto reader = LineReader::open("/nonexistent/dir/access.log");
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find("/nonexistent/dir/access.log"), std::string::npos);
  EXPECT_NE(reader.error().message.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace gw
