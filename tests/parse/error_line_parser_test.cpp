// ErrorLineParser: nginx error.log lines, their context tail, and local time → UTC.
#include "parse/error_line_parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace gw {
namespace {

// 2022-11-16T11:26:28+09:00
constexpr int64_t kIncidentMillis = 1668565588000;

struct Parsed {
  bool ok = false;
  ErrorRecord record;
  ParseFailure failure;
  std::shared_ptr<const std::string> line;  // what the record's views point into
};

Parsed parseIn(const TimeZone& zone, std::string_view line) {
  ErrorLineParser parser(zone);
  Parsed p;
  p.line = std::make_shared<const std::string>(line);
  p.ok = parser.parse(*p.line, p.record, p.failure);
  return p;
}

Parsed parseUtc(std::string_view line) { return parseIn(TimeZone::utc(), line); }

TEST(ErrorLineParser, UpstreamConnectFailureWithFullContext) {
  const Parsed p = parseUtc(
      R"(2022/11/16 02:26:28 [error] 1234#1235: *5678 connect() failed (111: Connection refused) )"
      R"(while connecting to upstream, client: 223.39.250.204, server: api.example, request: )"
      R"("GET /join/user-form?enc=x HTTP/1.1", upstream: "http://127.0.0.1:8080/join/user-form?enc=x", )"
      R"(host: "api.example", referrer: "https://carner.example/")");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  const ErrorRecord& r = p.record;
  EXPECT_EQ(r.time.time_since_epoch().count(), kIncidentMillis);
  EXPECT_EQ(r.utc_offset_minutes, 0);
  EXPECT_EQ(r.level, ErrorLevel::kError);
  EXPECT_EQ(r.pid, 1234);
  EXPECT_EQ(r.tid, 1235);
  EXPECT_EQ(r.connection, 5678);
  EXPECT_EQ(r.message, "connect() failed (111: Connection refused) while connecting to upstream");
  EXPECT_EQ(r.client, "223.39.250.204");
  EXPECT_EQ(r.server, "api.example");
  EXPECT_EQ(r.request, "GET /join/user-form?enc=x HTTP/1.1");
  EXPECT_EQ(r.upstream, "http://127.0.0.1:8080/join/user-form?enc=x");
  EXPECT_EQ(r.host, "api.example");
  EXPECT_EQ(r.referrer, "https://carner.example/");
}

TEST(ErrorLineParser, LocalTimeIsConvertedWithTheSourceZone) {
  auto seoul = TimeZone::load("Asia/Seoul");
  ASSERT_TRUE(seoul.ok()) << seoul.error().message;
  const Parsed p = parseIn(*seoul,
                           "2022/11/16 11:26:28 [error] 7#7: *1 no live upstreams while "
                           "connecting to upstream, client: ::1, server: x");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.time.time_since_epoch().count(), kIncidentMillis);
  EXPECT_EQ(p.record.utc_offset_minutes, 540);
  EXPECT_EQ(p.record.client, "::1");
  EXPECT_EQ(p.record.server, "x");
}

TEST(ErrorLineParser, LineWithoutConnectionId) {
  const Parsed p = parseUtc("2024/09/12 13:48:55 [notice] 1#1: signal process started");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.level, ErrorLevel::kNotice);
  EXPECT_EQ(p.record.pid, 1);
  EXPECT_EQ(p.record.connection, -1);
  EXPECT_EQ(p.record.message, "signal process started");
  EXPECT_EQ(p.record.client, "");
}

TEST(ErrorLineParser, EveryLevel) {
  const std::map<std::string, ErrorLevel> levels = {
      {"debug", ErrorLevel::kDebug}, {"info", ErrorLevel::kInfo},   {"notice", ErrorLevel::kNotice},
      {"warn", ErrorLevel::kWarn},   {"error", ErrorLevel::kError}, {"crit", ErrorLevel::kCrit},
      {"alert", ErrorLevel::kAlert}, {"emerg", ErrorLevel::kEmerg}};
  for (const auto& [name, level] : levels) {
    const Parsed p = parseUtc("2024/09/12 13:48:55 [" + name + "] 1#1: x");
    ASSERT_TRUE(p.ok) << name;
    EXPECT_EQ(p.record.level, level) << name;
  }
  const Parsed bad = parseUtc("2024/09/12 13:48:55 [fatal] 1#1: x");
  ASSERT_FALSE(bad.ok);
  EXPECT_STREQ(bad.failure.field, "level");
  EXPECT_EQ(bad.failure.offset, 21u);
}

TEST(ErrorLineParser, EmptyServerAndUnixSocketUpstream) {
  const Parsed p = parseUtc(
      R"(2021/12/31 13:40:37 [error] 13#13: *142993 upstream timed out (110: Connection timed out) )"
      R"(while reading response header from upstream, client: 127.0.0.1, server: , request: )"
      R"("POST /api/login HTTP/1.1", upstream: "fastcgi://unix:///var/run/php-fpm.sock", host: "wcd_api")");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.server, "");
  EXPECT_EQ(p.record.request, "POST /api/login HTTP/1.1");
  EXPECT_EQ(p.record.upstream, "fastcgi://unix:///var/run/php-fpm.sock");
  EXPECT_EQ(p.record.host, "wcd_api");
}

TEST(ErrorLineParser, StreamModuleTailStopsAtUnknownPart) {
  const Parsed p = parseUtc(
      R"(2019/11/25 16:44:30 [error] 1428#0: *934814 recv() failed (104: Connection reset by peer) )"
      R"(while proxying and reading from upstream, client: 11.223.235.220, server: 0.0.0.0:8805, )"
      R"(upstream: "11.99.138.240:8706", bytes from/to client:46/16, bytes from/to upstream:16/46)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.client, "11.223.235.220");
  EXPECT_EQ(p.record.server, "0.0.0.0:8805");
  EXPECT_EQ(p.record.upstream, "11.99.138.240:8706");
  EXPECT_EQ(p.record.request, "");
}

TEST(ErrorLineParser, QuotedRequestContainingQuoteAndComma) {
  const Parsed p =
      parseUtc(R"(2022/11/16 02:26:28 [error] 1#1: *2 x, client: 1.2.3.4, server: s, request: )"
               R"("GET /a"b, c HTTP/1.1", host: "h")");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.request, R"(GET /a"b, c HTTP/1.1)");
  EXPECT_EQ(p.record.host, "h");
}

TEST(ErrorLineParser, TimestampPrefixIsMalformedWithReason) {
  // s6-overlay writes its own timestamp in front of nginx's.
  const Parsed p = parseUtc(
      "2024-02-05 12:43:42.368690963  2024/02/05 13:43:42 [error] 146#146: *741 connect() failed");
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(describe(p.failure),
            "time at byte 4: expected a time like 2022/11/16 11:26:28, found '-'");
}

TEST(ErrorLineParser, CutAndGarbageLinesAreMalformed) {
  for (std::string_view line : std::initializer_list<std::string_view>{
           "", "2022/11/16 11:2", "2022/11/16 11:26:28", "2022/11/16 11:26:28 [error]",
           "2022/11/16 11:26:28 [error] x#1: y", "2022/11/16 11:26:28 [error] 1#: y",
           "2022/13/16 11:26:28 [error] 1#1: y", std::string_view("\0\0\0\0", 4)}) {
    EXPECT_FALSE(parseUtc(line).ok) << line;
  }
  const Parsed crlf = parseUtc("2024/09/12 13:48:55 [notice] 1#1: signal process started\r\n");
  ASSERT_TRUE(crlf.ok);
  EXPECT_EQ(crlf.record.message, "signal process started");
}

struct FileCounts {
  std::size_t lines = 0, parsed = 0, with_connection = 0, with_upstream = 0;
  std::map<ErrorLevel, std::size_t> levels;
};

FileCounts parseFile(const std::string& path) {
  ErrorLineParser parser(TimeZone::utc());
  std::ifstream in(path, std::ios::binary);
  FileCounts c;
  std::string line;
  ErrorRecord r;
  ParseFailure failure;
  while (std::getline(in, line)) {
    ++c.lines;
    if (!parser.parse(line, r, failure)) {
      ADD_FAILURE() << path << ":" << c.lines << ": " << describe(failure);
      continue;
    }
    ++c.parsed;
    ++c.levels[r.level];
    if (r.connection >= 0) ++c.with_connection;
    if (!r.upstream.empty()) ++c.with_upstream;
  }
  return c;
}

TEST(ErrorLineParser, RealSampleLinesAllParse) {
  const std::string path = GW_SHARED_DIR "/data/real/error_log_samples.log";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  const FileCounts c = parseFile(path);
  EXPECT_EQ(c.lines, 40u);
  EXPECT_EQ(c.parsed, 40u);
  // Counted by hand: 2 [emerg] and 1 [warn] lines have no connection; the 2 "no resolver"
  // lines have no upstream.
  EXPECT_EQ(c.with_connection, 37u);
  EXPECT_EQ(c.with_upstream, 35u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kError), 37u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kEmerg), 2u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kWarn), 1u);
}

TEST(ErrorLineParser, RealWhatismyipErrorLogAllParses) {
  const std::string path = GW_SHARED_DIR "/data/real/access/whatismyip_error.log";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  const FileCounts c = parseFile(path);
  // awk '{print $3}' | sort | uniq -c: 3734 [notice], 29 [emerg], 5 [error].
  EXPECT_EQ(c.lines, 3768u);
  EXPECT_EQ(c.parsed, 3768u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kNotice), 3734u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kEmerg), 29u);
  EXPECT_EQ(c.levels.at(ErrorLevel::kError), 5u);
  EXPECT_EQ(c.with_connection, 5u);
  EXPECT_EQ(c.with_upstream, 5u);
}

}  // namespace
}  // namespace gw
