// AccessParser: lines as nginx writes them, and the bad input real files contain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "../common/generator_formats.h"
#include "parse/log_format.h"

namespace gw {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kExtended =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $request_time $upstream_response_time )"
    R"("$upstream_addr" $upstream_status)";

// 16/Nov/2022:11:26:28 +0900
constexpr int64_t kIncidentMillis = 1668565588000;

AccessParser parserFor(std::string_view format) {
  FormatError error{};
  auto f = LogFormat::compile(format, &error);
  EXPECT_TRUE(f.ok()) << error.message;
  return AccessParser(std::move(f).value());
}

// A parse result that owns what its views point into: the line, and the parser (whose format
// holds the variable names of extra fields).
struct Parsed {
  bool ok = false;
  AccessRecord record;
  ParseFailure failure;
  std::shared_ptr<const std::string> line;
  std::shared_ptr<AccessParser> parser;
};

Parsed parse(AccessParser& parser, std::string_view line) {
  Parsed p;
  p.line = std::make_shared<const std::string>(line);
  p.ok = parser.parse(*p.line, p.record, p.failure);
  return p;
}

Parsed parseWith(std::string_view format, std::string_view line) {
  auto parser = std::make_shared<AccessParser>(parserFor(format));
  Parsed p = parse(*parser, line);
  p.parser = std::move(parser);
  return p;
}

int64_t millis(const AccessRecord& r) { return r.time.time_since_epoch().count(); }

std::string combinedLine(std::string_view request, std::string_view status = "200",
                         std::string_view ua = "Mozilla/5.0") {
  return "223.39.250.204 - - [16/Nov/2022:11:26:28 +0900] \"" + std::string(request) + "\" " +
         std::string(status) + " 568 \"https://a.example/\" \"" + std::string(ua) + "\"";
}

TEST(AccessParser, CombinedLineFillsEveryField) {
  const Parsed p =
      parseWith("combined", combinedLine("GET /join/user-form?enc=x&y=1 HTTP/1.1", "502"));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  const AccessRecord& r = p.record;
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/join/user-form");
  EXPECT_EQ(r.query, "enc=x&y=1");
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  EXPECT_EQ(r.remote_addr, "223.39.250.204");
  EXPECT_EQ(r.user_agent, "Mozilla/5.0");
  EXPECT_EQ(r.referer, "https://a.example/");
  EXPECT_EQ(r.body_bytes, 568);
  EXPECT_TRUE(r.has_time);
  EXPECT_EQ(r.utc_offset_minutes, 540);
  EXPECT_EQ(millis(r), kIncidentMillis);
  EXPECT_EQ(r.extraField("remote_user"), "-");
  EXPECT_EQ(r.upstream_reach, UpstreamReach::kUnknown);
  EXPECT_EQ(r.line.size(), combinedLine("GET /join/user-form?enc=x&y=1 HTTP/1.1").size());
}

TEST(AccessParser, NegativeOffsetAndDateCacheAcrossDays) {
  AccessParser parser = parserFor("combined");
  const Parsed a =
      parse(parser, R"(1.2.3.4 - - [23/Jul/2024:23:59:59 -0300] "GET / HTTP/1.1" 200 1 "-" "-")");
  const Parsed b =
      parse(parser, R"(1.2.3.4 - - [24/Jul/2024:00:00:00 -0300] "GET / HTTP/1.1" 200 1 "-" "-")");
  const Parsed c =
      parse(parser, R"(1.2.3.4 - - [24/Jul/2024:00:00:01 -0300] "GET / HTTP/1.1" 200 1 "-" "-")");
  ASSERT_TRUE(a.ok && b.ok && c.ok);
  EXPECT_EQ(a.record.utc_offset_minutes, -180);
  EXPECT_EQ(millis(a.record), 1721789999000);  // 2024-07-24T02:59:59Z
  EXPECT_EQ(millis(b.record) - millis(a.record), 1000);
  EXPECT_EQ(millis(c.record) - millis(b.record), 1000);
}

TEST(AccessParser, MainFormatKeepsForwardedForAsExtra) {
  const Parsed p = parseWith("main", combinedLine("GET / HTTP/1.1") + " \"10.1.2.3, 10.0.0.1\"");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.extraField("http_x_forwarded_for"), "10.1.2.3, 10.0.0.1");
  EXPECT_EQ(p.record.user_agent, "Mozilla/5.0");
}

TEST(AccessParser, TlsHandshakeBytesParseAsStatus400) {
  const Parsed p = parseWith(
      "combined",
      R"(198.51.100.7 - - [02/Apr/2019:08:55:28 +0000] "\x16\x03\x01\x00\x9A\x01\x00\x00\x96\x03\x03}DmY\xC4 %\x00" 400 182 "-" "-")");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 400);
  EXPECT_EQ(p.record.method, "");
  EXPECT_EQ(p.record.path, "");
  EXPECT_EQ(p.record.protocol, "");
}

TEST(AccessParser, GarbageAndEmptyRequestsStillParse) {
  for (std::string_view request :
       {"", "-", "SSH-2.0-PUTTY", R"(\x03\x00\x00+&\xE0\x00Cookie: mstshash=hello)"}) {
    SCOPED_TRACE(request);
    const Parsed p = parseWith("combined", combinedLine(request, "400"));
    ASSERT_TRUE(p.ok) << describe(p.failure);
    EXPECT_EQ(p.record.status, 400);
    EXPECT_EQ(p.record.method, "");
    EXPECT_EQ(p.record.path, "");
  }
}

TEST(AccessParser, RequestWithoutProtocolKeepsMethodAndPath) {
  const Parsed p = parseWith("combined", combinedLine("GET /index.html?a=1"));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.record.method, "GET");
  EXPECT_EQ(p.record.path, "/index.html");
  EXPECT_EQ(p.record.query, "a=1");
  EXPECT_EQ(p.record.protocol, "");
}

TEST(AccessParser, DoubleSpaceBeforeProtocolIsNotPartOfThePath) {
  const Parsed p = parseWith("combined", combinedLine("POST /upload/log?x  HTTP/1.1"));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.record.path, "/upload/log");
  EXPECT_EQ(p.record.query, "x");
  EXPECT_EQ(p.record.protocol, "HTTP/1.1");
}

TEST(AccessParser, EscapedQuoteInUserAgentStaysInsideTheField) {
  const Parsed p = parseWith(
      "combined", combinedLine("GET / HTTP/1.1", "200", R"(Mozilla \x22quoted\x22 \x5C)"));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.user_agent, R"(Mozilla \x22quoted\x22 \x5C)");
}

TEST(AccessParser, RawQuotesInLastFieldAreKeptBecauseTheLineEndsTheField) {
  // Written by software that does not escape: the closing quote is the one at the end.
  const Parsed p =
      parseWith("combined", combinedLine("GET / HTTP/1.1", "200", R"(Mozilla "quoted" " x)"));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.user_agent, R"(Mozilla "quoted" " x)");
}

TEST(AccessParser, RawQuoteAndSpaceInRequestIsResolvedByTheFieldsAfterIt) {
  const Parsed p = parseWith("combined", combinedLine(R"(GET /a" b HTTP/1.1)", "404"));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 404);
  EXPECT_EQ(p.record.path, R"(/a" b)");
  EXPECT_EQ(p.record.protocol, "HTTP/1.1");
}

TEST(AccessParser, SeparatorInsideAValueIsRetriedInPipeFormat) {
  const Parsed p = parseWith("$remote_addr|$request|$status|$body_bytes_sent",
                             "1.2.3.4|GET /filter/27|13,p53 HTTP/1.1|200|5");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.path, "/filter/27|13,p53");
  EXPECT_EQ(p.record.status, 200);
  EXPECT_EQ(p.record.body_bytes, 5);
}

TEST(AccessParser, HostileLineWithManySeparatorsEndsMalformed) {
  // Every '|' is a candidate end for $request; retries are bounded, the answer is exact.
  std::string line = "1.2.3.4|";
  for (int i = 0; i < 100000; ++i) line += "x|";
  const Parsed p = parseWith("$remote_addr|$request|$http_referer|$status", line);
  EXPECT_FALSE(p.ok);
}

TEST(AccessParser, Ipv6RemoteAddresses) {
  for (std::string_view addr : {"2001:db8::1", "::ffff:41.43.9.21", "2a02:cf40::", "::1"}) {
    const Parsed p = parseWith(
        "combined",
        std::string(addr) + R"( - - [16/Nov/2022:11:26:28 +0900] "GET / HTTP/1.1" 200 1 "-" "-")");
    ASSERT_TRUE(p.ok) << addr << ": " << describe(p.failure);
    EXPECT_EQ(p.record.remote_addr, addr);
  }
}

TEST(AccessParser, DashInEveryField) {
  const Parsed p = parseWith(kExtended, R"(- - - [-] "-" 200 - "-" "-" - - "-" -)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  const AccessRecord& r = p.record;
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.has_time);
  EXPECT_EQ(r.remote_addr, "-");
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.body_bytes, -1);
  EXPECT_EQ(r.request_time, -1);
  EXPECT_EQ(r.upstream_response_time, -1);
  EXPECT_EQ(r.upstream_status_count, 0);
  EXPECT_EQ(r.first_upstream_addr, "");
  EXPECT_EQ(r.upstream_reach, UpstreamReach::kNotReached);
}

TEST(AccessParser, StatusDashIsMalformed) {
  const Parsed p = parseWith("combined", combinedLine("GET / HTTP/1.1", "-"));
  ASSERT_FALSE(p.ok);
  EXPECT_STREQ(p.failure.field, "status");
  EXPECT_EQ(describe(p.failure), "status at byte 65: expected 3 digits, found '-'");
}

TEST(AccessParser, StatusZeroZeroZeroIsAccepted) {
  const Parsed p = parseWith("combined", combinedLine("GET / HTTP/1.1", "000"));
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.record.status, 0);
}

TEST(AccessParser, CrlfLineEndingIsStripped) {
  AccessParser parser = parserFor("combined");
  for (std::string_view ending : {"\r", "\r\n", "\n"}) {
    const std::string line = combinedLine("GET / HTTP/1.1") + std::string(ending);
    const Parsed p = parse(parser, line);
    ASSERT_TRUE(p.ok) << describe(p.failure);
    EXPECT_EQ(p.record.user_agent, "Mozilla/5.0");
    EXPECT_EQ(p.record.line.back(), '"');
  }
}

TEST(AccessParser, UpstreamListWithRetry) {
  const Parsed p =
      parseWith(kExtended, combinedLine("GET / HTTP/1.1") +
                               R"( 0.504 0.501, 0.003 "10.0.0.1:8080, 10.0.0.2:8080" 502, 200)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  const AccessRecord& r = p.record;
  EXPECT_EQ(r.upstream_reach, UpstreamReach::kReached);
  ASSERT_EQ(r.upstream_status_count, 2);
  EXPECT_EQ(r.upstream_statuses[0], 502);
  EXPECT_EQ(r.upstream_statuses[1], 200);
  EXPECT_EQ(r.upstream_status_raw, "502, 200");
  EXPECT_EQ(r.upstream_addr_raw, "10.0.0.1:8080, 10.0.0.2:8080");
  EXPECT_EQ(r.first_upstream_addr, "10.0.0.1:8080");
  EXPECT_DOUBLE_EQ(r.request_time, 0.504);
  EXPECT_DOUBLE_EQ(r.upstream_response_time, 0.504);
}

TEST(AccessParser, UpstreamGroupsAfterInternalRedirect) {
  const Parsed p = parseWith(
      kExtended, combinedLine("GET / HTTP/1.1") +
                     R"( 0.010 0.004 : 0.005 "10.0.0.1:80 : unix:/run/app.sock" 502 : 200)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  ASSERT_EQ(p.record.upstream_status_count, 2);
  EXPECT_EQ(p.record.upstream_statuses[0], 502);
  EXPECT_EQ(p.record.upstream_statuses[1], 200);
  EXPECT_EQ(p.record.first_upstream_addr, "10.0.0.1:80");
  EXPECT_DOUBLE_EQ(p.record.upstream_response_time, 0.009);
}

TEST(AccessParser, UpstreamDashMeansNginxAnsweredItself) {
  const Parsed p =
      parseWith(kExtended, combinedLine("GET / HTTP/1.1", "503") + R"( 0.000 - "-" -)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 503);
  EXPECT_EQ(p.record.upstream_reach, UpstreamReach::kNotReached);
  EXPECT_EQ(p.record.upstream_status_count, 0);
  EXPECT_EQ(p.record.upstream_response_time, -1);
}

TEST(AccessParser, UpstreamListWithDashEntriesAndBracketedIpv6) {
  const Parsed p = parseWith(
      kExtended, combinedLine("GET / HTTP/1.1", "502") +
                     R"( 0.1 0.100, - "[2a02:cf40::7]:5000, [2a02:cf40::8]:5000" 502, -)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.upstream_reach, UpstreamReach::kReached);
  ASSERT_EQ(p.record.upstream_status_count, 1);
  EXPECT_EQ(p.record.upstream_statuses[0], 502);
  EXPECT_EQ(p.record.first_upstream_addr, "[2a02:cf40::7]:5000");
}

TEST(AccessParser, MoreUpstreamAttemptsThanKeptAreDropped) {
  std::string statuses = "502";
  for (int i = 0; i < 11; ++i) statuses += ", 502";
  const Parsed p = parseWith("$status $upstream_status", "502 " + statuses);
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.upstream_status_count, AccessRecord::kMaxUpstreamAttempts);
}

TEST(AccessParser, NulBytes) {
  AccessParser parser = parserFor("combined");
  // A run of NULs (a file preallocated before a crash) is malformed, not a crash.
  const std::string nuls(100, '\0');
  const Parsed a = parse(parser, nuls);
  EXPECT_FALSE(a.ok);
  EXPECT_STREQ(a.failure.field, "remote_addr");
  // A NUL inside a value is kept: the view carries its length.
  const std::string ua = std::string("Mozilla") + '\0' + "x";
  const Parsed b = parse(parser, combinedLine("GET / HTTP/1.1", "200", ua));
  ASSERT_TRUE(b.ok) << describe(b.failure);
  EXPECT_EQ(b.record.user_agent, ua);
}

TEST(AccessParser, InvalidUtf8InsideValuesParses) {
  const std::string bad = "\xff\xfe\xc3(\x80";
  const Parsed p = parseWith("combined", combinedLine("GET /" + bad + " HTTP/1.1", "200", bad));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.path, "/" + bad);
  EXPECT_EQ(p.record.user_agent, bad);
}

TEST(AccessParser, OneMebibyteLine) {
  AccessParser parser = parserFor("combined");
  const std::string path(1 << 20, 'a');
  const Parsed p = parse(parser, combinedLine("GET /" + path + " HTTP/1.1", "414"));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 414);
  EXPECT_EQ(p.record.path.size(), path.size() + 1);
  const Parsed junk = parse(parser, std::string(1 << 20, 'A'));
  EXPECT_FALSE(junk.ok);
  EXPECT_TRUE(junk.failure.at_end);
}

TEST(AccessParser, LineCutMidFieldSaysWhereItEnded) {
  AccessParser parser = parserFor("combined");
  const std::string full = combinedLine("GET /abc HTTP/1.1");
  const Parsed in_time = parse(parser, full.substr(0, 30));
  ASSERT_FALSE(in_time.ok);
  EXPECT_STREQ(in_time.failure.field, "time_local");
  EXPECT_TRUE(in_time.failure.at_end);
  EXPECT_EQ(in_time.failure.offset, 30u);
  const Parsed in_request = parse(parser, full.substr(0, 60));
  ASSERT_FALSE(in_request.ok);
  EXPECT_STREQ(in_request.failure.field, "request");
  EXPECT_EQ(describe(in_request.failure), "request at byte 60: expected '\" ', found end of line");
  // Every prefix fails cleanly (no prefix is a complete line: the last '"' is missing).
  for (std::size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(parse(parser, full.substr(0, n)).ok) << n;
  }
}

TEST(AccessParser, LeadingSpaceIsMalformed) {
  const Parsed p = parseWith("combined", " " + combinedLine("GET / HTTP/1.1"));
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(describe(p.failure),
            "remote_addr at byte 0: expected an address or name (no spaces), found ' '");
}

TEST(AccessParser, DockerComposePrefixIsMalformed) {
  const Parsed p = parseWith("combined", "nginx.1    | " + combinedLine("GET / HTTP/1.1", "503"));
  ASSERT_FALSE(p.ok);
  EXPECT_STREQ(p.failure.field, "remote_addr");
  EXPECT_EQ(p.failure.offset, 7u);
}

TEST(AccessParser, InvalidDatesAreMalformed) {
  for (std::string_view time : {"31/Feb/2022:11:26:28 +0900", "16/Foo/2022:11:26:28 +0900",
                                "16/Nov/2022:25:26:28 +0900", "16/Nov/2022:11:26:28 +0999"}) {
    const Parsed p = parseWith(
        "combined", "1.2.3.4 - - [" + std::string(time) + R"(] "GET / HTTP/1.1" 200 1 "-" "-")");
    EXPECT_FALSE(p.ok) << time;
    EXPECT_STREQ(p.failure.field, "time_local");
  }
}

TEST(AccessParser, IsoAndMsecTimes) {
  const Parsed iso = parseWith("$time_iso8601 $status", "2022-11-16T11:26:28+09:00 200");
  ASSERT_TRUE(iso.ok) << describe(iso.failure);
  EXPECT_EQ(millis(iso.record), kIncidentMillis);
  EXPECT_EQ(iso.record.utc_offset_minutes, 540);
  const Parsed zulu = parseWith("$time_iso8601 $status", "2022-11-16T02:26:28Z 200");
  ASSERT_TRUE(zulu.ok);
  EXPECT_EQ(millis(zulu.record), kIncidentMillis);
  const Parsed msec = parseWith("$msec $status", "1668565588.123 200");
  ASSERT_TRUE(msec.ok) << describe(msec.failure);
  EXPECT_EQ(millis(msec.record), kIncidentMillis + 123);
  EXPECT_EQ(msec.record.utc_offset_minutes, 0);
}

TEST(AccessParser, MsecTooLargeForATimeIsMalformed) {
  // Found by fuzzing: would overflow the milliseconds.
  const Parsed p = parseWith("$msec $status", "44444444444444444444444444.1 200");
  ASSERT_FALSE(p.ok);
  EXPECT_STREQ(p.failure.field, "msec");
  EXPECT_EQ(p.failure.offset, 0u);
}

TEST(AccessParser, HostIsTheFirstPresentHostVariable) {
  const Parsed a =
      parseWith(R"($host "$http_host" $server_name $status)", "- \"h.example:8080\" srv 200");
  ASSERT_TRUE(a.ok) << describe(a.failure);
  EXPECT_EQ(a.record.host, "h.example:8080");
  const Parsed b =
      parseWith(R"($host "$http_host" $server_name $status)", "a.example \"b\" srv 200");
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.record.host, "a.example");
}

TEST(AccessParser, HostFollowedByRequestUri) {
  const Parsed p = parseWith(R"("$host$request_uri" $status)", R"("shop.example/cart?id=3" 502)");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.host, "shop.example");
  EXPECT_EQ(p.record.path, "/cart");
  EXPECT_EQ(p.record.query, "id=3");
}

TEST(AccessParser, ExtraFieldsAreBounded) {
  std::string format, line;
  for (int i = 0; i < 40; ++i) {
    format += "$v" + std::to_string(i) + " ";
    line += "x" + std::to_string(i) + " ";
  }
  const Parsed p = parseWith(format + "$status", line + "200");
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 200);
  EXPECT_EQ(p.record.extra_count, AccessRecord::kMaxExtraFields);
  EXPECT_EQ(p.record.extraField("v0"), "x0");
  EXPECT_EQ(p.record.extraField("v39"), "");
}

TEST(AccessParser, TwoFormatsPreferTheOneThatNeedsNoRawQuote) {
  const std::string main_line = combinedLine("GET / HTTP/1.1") + R"( "-")";
  const std::string combined_line = combinedLine("GET / HTTP/1.1");
  for (bool main_first : {true, false}) {
    std::vector<LogFormat> formats;
    formats.push_back(LogFormat::compile(main_first ? "main" : "combined").value());
    formats.push_back(LogFormat::compile(main_first ? "combined" : "main").value());
    AccessParser parser(std::move(formats));
    const Parsed m = parse(parser, main_line);
    ASSERT_TRUE(m.ok);
    EXPECT_EQ(m.record.user_agent, "Mozilla/5.0") << main_first;
    EXPECT_EQ(parser.matchedFormat(), main_first ? 0u : 1u);
    const Parsed c = parse(parser, combined_line);
    ASSERT_TRUE(c.ok);
    EXPECT_EQ(c.record.user_agent, "Mozilla/5.0");
    EXPECT_EQ(parser.matchedFormat(), main_first ? 1u : 0u);
  }
}

TEST(AccessParser, SingleCombinedFormatReadsMainLinesLeniently) {
  // One format, lines with an extra field: the record is still right where it matters.
  const Parsed p = parseWith("combined", combinedLine("GET / HTTP/1.1", "502") + R"( "-")");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.record.status, 502);
  EXPECT_EQ(p.record.user_agent, R"(Mozilla/5.0" "-)");
}

TEST(AccessParser, IncidentLinesAreMalformedNamingTheMissingBracket) {
  std::ifstream in(GW_SHARED_DIR "/data/seed-incident-lines.log", std::ios::binary);
  if (!in) GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  AccessParser parser = parserFor("combined");
  std::vector<std::string> reasons;
  std::string line;
  while (std::getline(in, line)) {
    const Parsed p = parse(parser, line);
    EXPECT_FALSE(p.ok);
    reasons.push_back(describe(p.failure));
  }
  ASSERT_EQ(reasons.size(), 2u);
  // The writer's copy turned '[' into 'Ä' (0xC3 0x84); the first line also lost the address.
  EXPECT_EQ(reasons[0], "time_local at byte 0: expected '[', found 'Ä' (0xC3 0x84)");
  EXPECT_EQ(reasons[1], "time_local at byte 19: expected '[', found 'Ä' (0xC3 0x84)");
}

TEST(AccessParser, ClosingLiteralMissingNamesTheValueItCloses) {
  const Parsed bracket = parseWith(
      "combined",
      "1.2.3.4 - - [16/Nov/2022:11:26:28 +0900\xc3\x9c \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
  ASSERT_FALSE(bracket.ok);
  EXPECT_EQ(describe(bracket.failure),
            "time_local at byte 39: expected ']', found '\xc3\x9c' (0xC3 0x9C)");
  const Parsed status = parseWith("combined", combinedLine("GET / HTTP/1.1", "2000"));
  ASSERT_FALSE(status.ok);
  EXPECT_EQ(describe(status.failure), "status at byte 68: expected ' ', found '0'");
}

TEST(AccessParser, DescribeShowsUnprintableBytesInHex) {
  const Parsed p = parseWith("combined", combinedLine("GET / HTTP/1.1",
                                                      "2\x01"
                                                      "0"));
  ASSERT_FALSE(p.ok);
  EXPECT_THAT(describe(p.failure), HasSubstr("status at byte 66: expected 3 digits, found 0x01"));
}

// ---- JSON ----

// Writes a line for a compiled format's text, values by variable name ("" when not given).
std::string render(const LogFormat& format, const std::map<std::string, std::string>& values) {
  const std::string& t = format.text();
  std::string out;
  for (std::size_t i = 0; i < t.size();) {
    if (t[i] != '$') {
      out += t[i++];
      continue;
    }
    std::size_t j = i + 1;
    const bool braced = j < t.size() && t[j] == '{';
    if (braced) ++j;
    std::size_t k = j;
    while (k < t.size() && (std::isalnum(static_cast<unsigned char>(t[k])) || t[k] == '_')) ++k;
    const std::string name = t.substr(j, k - j);
    auto it = values.find(name);
    if (it != values.end()) out += it->second;
    i = braced ? k + 1 : k;
  }
  return out;
}

TEST(AccessParser, JsonFormatWithUnquotedNumbersAndEscapedQuotes) {
  const LogFormat format = LogFormat::compile(gw::testing::kJsonFormat).value();
  AccessParser parser(format);
  const std::string line = render(format, {{"time_local", "16/Nov/2022:11:26:28 +0900"},
                                           {"remote_addr", "2001:db8::7"},
                                           {"remote_user", "-"},
                                           {"request", R"(GET /a?q=\"x\" HTTP/1.1)"},
                                           {"status", "502"},
                                           {"body_bytes_sent", "157"},
                                           {"request_time", "0.004"},
                                           {"upstream_response_time", "0.001, 0.002"},
                                           {"upstream_addr", "10.0.0.1:80, 10.0.0.2:80"},
                                           {"upstream_status", "502, 502"},
                                           {"http_referer", R"(ends with backslash \\)"},
                                           {"http_user_agent", R"(Mozilla \"quoted\", \u0001 é)"}});
  const Parsed p = parse(parser, line);
  ASSERT_TRUE(p.ok) << describe(p.failure) << "\n" << line;
  const AccessRecord& r = p.record;
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(millis(r), kIncidentMillis);
  EXPECT_EQ(r.path, "/a");
  EXPECT_EQ(r.query, R"(q=\"x\")");
  EXPECT_EQ(r.referer, R"(ends with backslash \\)");
  EXPECT_EQ(r.user_agent, R"(Mozilla \"quoted\", \u0001 é)");
  EXPECT_EQ(r.body_bytes, 157);
  EXPECT_DOUBLE_EQ(r.upstream_response_time, 0.003);
  EXPECT_EQ(r.upstream_status_count, 2);
  EXPECT_EQ(r.upstream_reach, UpstreamReach::kReached);
}

TEST(AccessParser, JsonEmptyValuesForMissingVariables) {
  // escape=json writes nothing (not "-") for a variable without a value.
  const LogFormat format = LogFormat::compile(gw::testing::kJsonFormat).value();
  AccessParser parser(format);
  const Parsed p = parse(parser, render(format, {{"time_local", "16/Nov/2022:11:26:28 +0900"},
                                                 {"status", "503"},
                                                 {"body_bytes_sent", "0"},
                                                 {"request_time", "0.000"}}));
  ASSERT_TRUE(p.ok) << describe(p.failure);
  EXPECT_EQ(p.record.status, 503);
  EXPECT_EQ(p.record.upstream_reach, UpstreamReach::kNotReached);
  EXPECT_EQ(p.record.upstream_response_time, -1);
}

std::map<std::string, std::string> sharedFormats() {
  std::map<std::string, std::string> out;
  std::ifstream in(GW_SHARED_DIR "/data/real/log_formats.txt");
  std::string line, id;
  while (std::getline(in, line)) {
    if (line.starts_with("# F")) {
      id = line.substr(2, line.find(' ', 2) - 2);
    } else if (!line.starts_with("#") && !line.empty()) {
      out[id] += line + "\n";
    }
  }
  return out;
}

TEST(AccessParser, RealJsonFormatsF6F7F10) {
  const auto formats = sharedFormats();
  if (formats.empty()) GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  const std::map<std::string, std::string> values = {
      {"msec", "1668565588.000"},
      {"time_iso8601", "2022-11-16T11:26:28+09:00"},
      {"remote_addr", "203.0.113.9"},
      {"remote_user", ""},
      {"request", "POST /api/join/user HTTP/1.1"},
      {"request_method", "POST"},
      {"request_uri", "/api/join/user?x=1"},
      {"uri", "/api/join/user"},
      {"args", "x=1"},
      {"status", "504"},
      {"body_bytes_sent", "160"},
      {"request_time", "60.001"},
      {"http_host", "api.example"},
      {"host", "api.example"},
      {"connection", "77"},
      {"http_referer", ""},
      {"http_user_agent", R"(okhttp/4.9.3 \"x\")"},
      {"http_x_forwarded_for", "198.51.100.1, 10.0.0.9"},
      {"upstream_addr", "127.0.0.1:8080"},
      {"upstream_connect_time", "0.000"},
      {"upstream_header_time", ""},
      {"upstream_response_time", "60.000"},
      {"http_cf_connecting_ip", "198.51.100.1"},
  };
  for (const char* id : {"F6", "F7", "F10"}) {
    SCOPED_TRACE(id);
    const LogFormat format = LogFormat::compile(formats.at(id)).value();
    ASSERT_EQ(format.escape(), LogEscape::kJson);
    AccessParser parser(format);
    const std::string line = render(format, values);
    const Parsed p = parse(parser, line);
    ASSERT_TRUE(p.ok) << describe(p.failure) << "\n" << line;
    EXPECT_EQ(p.record.status, 504);
    EXPECT_EQ(millis(p.record), kIncidentMillis);
    EXPECT_EQ(p.record.method, "POST");
    EXPECT_EQ(p.record.path, "/api/join/user");
    EXPECT_EQ(p.record.user_agent, R"(okhttp/4.9.3 \"x\")");
    EXPECT_DOUBLE_EQ(p.record.request_time, 60.001);
    EXPECT_EQ(p.record.body_bytes, 160);
  }
}

TEST(AccessParser, EveryRealFormatParsesALineRenderedFromIt) {
  const auto formats = sharedFormats();
  if (formats.empty()) GTEST_SKIP() << "shared folder not found at " GW_SHARED_DIR;
  std::map<std::string, std::string> values = {
      {"time_local", "16/Nov/2022:11:26:28 +0900"},
      {"time_iso8601", "2022-11-16T11:26:28+09:00"},
      {"msec", "1668565588.000"},
      {"status", "502"},
      {"request", "GET /x?y=1 HTTP/1.1"},
      {"request_uri", "/x?y=1"},
      {"uri", "/x"},
      {"request_method", "GET"},
      {"upstream_status", "502, 200"},
      {"upstream_addr", "10.0.0.1:80, 10.0.0.2:80"},
      {"upstream_response_time", "0.001, 0.002"},
      {"request_time", "0.003"},
      {"body_bytes_sent", "157"},
      {"bytes_sent", "300"},
      {"host", "h.example"},
      {"http_host", "h.example"},
      {"scheme", "https"},
      {"remote_addr", "1.2.3.4"},
  };
  for (const auto& [id, text] : formats) {
    SCOPED_TRACE(id);
    const LogFormat format = LogFormat::compile(text).value();
    std::map<std::string, std::string> v = values;
    // Every other variable: "-" (or "" in JSON, as nginx writes it).
    const std::string& t = format.text();
    for (std::size_t i = t.find('$'); i != std::string::npos; i = t.find('$', i + 1)) {
      std::size_t k = i + 1;
      while (k < t.size() && (std::isalnum(static_cast<unsigned char>(t[k])) || t[k] == '_')) ++k;
      v.emplace(t.substr(i + 1, k - i - 1), format.escape() == LogEscape::kJson ? "" : "-");
    }
    AccessParser parser(format);
    const Parsed p = parse(parser, render(format, v));
    ASSERT_TRUE(p.ok) << describe(p.failure) << "\n" << render(format, v);
    EXPECT_EQ(p.record.status, 502);
  }
}

}  // namespace
}  // namespace gw
