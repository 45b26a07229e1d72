// Redactor: query values, client addresses and configured patterns masked before anything
// leaves the process; hostile lines (1 MiB, invalid UTF-8) handled without blowing up.
#include "alert/redactor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "alert/compose.h"
#include "common/utf8.h"
#include "incident_lines.h"

namespace gw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Redactor make(bool query_values, bool ips, std::vector<std::string> patterns = {}) {
  ContextConfig context;
  context.redact_query_values = query_values;
  context.redact_ips = ips;
  context.redact_patterns = std::move(patterns);
  auto r = Redactor::create(context);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Redactor();
}

const Redactor& queries() {
  static const Redactor r = make(true, false);
  return r;
}
const Redactor& addresses() {
  static const Redactor r = make(false, true);
  return r;
}

// ---- query values ----

TEST(Redactor, DefaultMasksNothing) {
  const std::string line = R"(1.2.3.4 - - "GET /x?enc=abc HTTP/1.1" 502)";
  EXPECT_EQ(Redactor().apply(line), line);
}

TEST(Redactor, IncidentEncTokensAreMaskedInRequestAndReferer) {
  const std::vector<std::string> lines = testing::seedIncidentLines();
  if (lines.empty()) GTEST_SKIP() << "shared folder not found at " << testing::kSeedIncidentLines;
  ASSERT_EQ(lines.size(), 2u);
  std::size_t tokens_seen = 0;
  for (const std::string& line : lines) {
    const std::vector<std::string> tokens = testing::encTokens(line);
    ASSERT_FALSE(tokens.empty()) << line;
    const std::string out = queries().apply(line);
    for (const std::string& token : tokens) {
      ASSERT_GT(token.size(), 100u);  // customers' data, encrypted: nothing to show anyone
      EXPECT_EQ(out.find(token), std::string::npos);
      // Not even a piece of it: the first 8 characters are gone too.
      EXPECT_EQ(out.find(token.substr(0, 8)), std::string::npos);
      ++tokens_seen;
    }
    EXPECT_THAT(out, HasSubstr("?enc=***"));
    // The rest of the line stays readable.
    EXPECT_THAT(out, HasSubstr("HTTP/1.1\""));
  }
  EXPECT_EQ(tokens_seen, 2u);
  // The 502's request: path kept, value gone.
  EXPECT_THAT(queries().apply(lines[1]), HasSubstr("\"GET /join/user-form?enc=*** HTTP/1.1\" 502"));
  // The 200's referer.
  EXPECT_THAT(queries().apply(lines[0]),
              HasSubstr("\"https://toggle-driver-insu.simgbiz.net/join/confirm?enc=***\""));
}

TEST(Redactor, EveryParameterValueIsMaskedAndNamesStay) {
  EXPECT_EQ(queries().apply("GET /a?enc=AbC&x=1&y= HTTP/1.1"), "GET /a?enc=***&x=***&y= HTTP/1.1");
  // A bare parameter is often the secret itself.
  EXPECT_EQ(queries().apply("/reset?s3cr3tT0ken HTTP/1.1"), "/reset?*** HTTP/1.1");
  EXPECT_EQ(queries().apply("/p?a=1#frag"), "/p?a=***#frag");
  EXPECT_EQ(queries().apply("/p?a=b=c&d"), "/p?a=***&***");
  EXPECT_EQ(queries().apply("no query here, really?"), "no query here, really?");
  EXPECT_EQ(queries().apply("/p?&&a=1"), "/p?&&a=***");
}

TEST(Redactor, QueryValueEndsAtEscapedQuotes) {
  // escape=default writes '"' as \x22, escape=json as \": the field ends there.
  EXPECT_EQ(queries().apply(R"(GET /x?t=abc\x22 next)"), R"(GET /x?t=***\x22 next)");
  EXPECT_EQ(queries().apply(R"({"request":"GET /x?t=abc\" x"})"),
            R"({"request":"GET /x?t=***\" x"})");
  // Other escapes are part of the value: a value in \xHH bytes is still a value.
  EXPECT_EQ(queries().apply(R"(/x?name=\xEA\xB9\x80 HTTP/1.1)"), "/x?name=*** HTTP/1.1");
}

TEST(Redactor, ErrorLogRequestAndUpstreamQueriesAreMasked) {
  const std::string line =
      R"(2022/11/16 11:26:28 [error] 1234#1234: *5678 connect() failed (111: Connection )"
      R"(refused) while connecting to upstream, client: 223.39.250.204, server: )"
      R"(toggle-driver-insu.simgbiz.net, request: "GET /join/user-form?enc=pcbmdzbuPr HTTP/1.1", )"
      R"(upstream: "http://127.0.0.1:8080/join/user-form?enc=pcbmdzbuPr", host: "x")";
  const std::string out = queries().apply(line);
  EXPECT_THAT(out, Not(HasSubstr("pcbmdzbuPr")));
  EXPECT_THAT(out, HasSubstr(R"(request: "GET /join/user-form?enc=*** HTTP/1.1")"));
  EXPECT_THAT(out, HasSubstr(R"(upstream: "http://127.0.0.1:8080/join/user-form?enc=***")"));
  EXPECT_THAT(out, HasSubstr("connect() failed (111: Connection refused)"));
}

// ---- addresses ----

TEST(Redactor, ClientIpv4IsMaskedUpstreamWithPortStays) {
  EXPECT_EQ(addresses().apply(R"(223.39.250.204 - - "GET / HTTP/1.1" 502 "127.0.0.1:8080")"),
            R"(*** - - "GET / HTTP/1.1" 502 "127.0.0.1:8080")");
  EXPECT_EQ(addresses().apply("client: 172.18.0.1, server: x, upstream: "
                              "\"http://172.18.0.3:4200/\""),
            "client: ***, server: x, upstream: \"http://172.18.0.3:4200/\"");
  // X-Forwarded-For lists.
  EXPECT_EQ(addresses().apply("\"10.0.0.7, 192.168.1.20\""), "\"***, ***\"");
}

TEST(Redactor, ClientIpv6IsMaskedBracketedUpstreamWithPortStays) {
  EXPECT_EQ(addresses().apply("2001:db8::1 - - [16/Nov/2022:11:26:28 +0900]"),
            "*** - - [16/Nov/2022:11:26:28 +0900]");
  EXPECT_EQ(addresses().apply("client: ::ffff:10.1.2.3, server: x"), "client: ***, server: x");
  EXPECT_EQ(addresses().apply("client: ::1, upstream: \"http://[::1]:8080/\""),
            "client: ***, upstream: \"http://[::1]:8080/\"");
  EXPECT_EQ(addresses().apply("upstream: [2001:db8::5]:443 from [fe80::1]"),
            "upstream: [2001:db8::5]:443 from [***]");
  EXPECT_EQ(addresses().apply("from fe80::1."), "from ***.");
}

TEST(Redactor, TimesVersionsAndWordsAreNotAddresses) {
  const std::string ua =
      "Mozilla/5.0 (Linux; Android 11; SM-G996N Build/RP1A.200720.012; wv) AppleWebKit/537.36 "
      "Chrome/107.0.5304.91 Mobile Safari/537.36 KakaoNaviApp v4.8.5";
  EXPECT_EQ(addresses().apply(ua), ua);
  const std::string times = "[16/Nov/2022:11:26:28 +0900] 11:26:28 2022/11/16 aa:bb:cc:dd:ee:ff";
  EXPECT_EQ(addresses().apply(times), times);
  const std::string versions = "lib 1.2.3.4.5 v1.2.3.4 id_10.0.0.1 999.1.1.1 0.0.0";
  EXPECT_EQ(addresses().apply(versions), versions);
  EXPECT_EQ(addresses().apply("cafe::bad is not a word here"), "*** is not a word here");
}

// ---- patterns ----

TEST(Redactor, PatternMatchesAreMasked) {
  const Redactor r =
      make(false, false, {R"(\b\d{4}-\d{4}-\d{4}-\d{4}\b)", "(?i)bearer [a-z0-9.]+"});
  EXPECT_EQ(r.apply("card 1234-5678-9012-3456 and Authorization: Bearer abc.DEF"),
            "card *** and Authorization: ***");
}

TEST(Redactor, PatternWithGroupsMasksOnlyTheGroups) {
  const Redactor r = make(false, false, {R"(password=([^&\s]+))", R"((\w+)@(\w+)\.com)"});
  EXPECT_EQ(r.apply("POST password=hunter2&user=a mail bob@example.com"),
            "POST password=***&user=a mail ***@***.com");
}

TEST(Redactor, EmptyMatchesMaskNothing) {
  const Redactor r = make(false, false, {"x*", "^"});
  EXPECT_EQ(r.apply("abxxc é"), "ab***c é");
}

TEST(Redactor, PatternThatDoesNotCompileIsAnErrorNamingItAndRe2sReason) {
  ContextConfig context;
  context.redact_patterns = {"ok", "token=(\\w+"};
  const auto r = Redactor::create(context);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("redact_patterns"));
  EXPECT_THAT(r.error().message, HasSubstr("'token=(\\w+'"));
  EXPECT_THAT(r.error().message, HasSubstr("missing )"));
}

TEST(Redactor, ChecksRunInOrderQueriesAddressesPatterns) {
  const Redactor r = make(true, true, {"secret"});
  EXPECT_EQ(r.apply("10.1.1.1 \"GET /secret/x?ip=10.2.2.2 HTTP/1.1\" \"10.0.0.1:80\""),
            "*** \"GET /***/x?ip=*** HTTP/1.1\" \"10.0.0.1:80\"");
}

// ---- hostile input ----

TEST(Redactor, OneMebibyteLineIsCutAndStillMasked) {
  const Redactor r = make(true, true, {"a+b|a"});  // a global replace of this is quadratic
  std::string line = "9.9.9.9 \"GET /x?enc=" + std::string(1 << 20, 'a') + " HTTP/1.1\"";
  const std::string out = r.apply(line);
  EXPECT_LE(out.size(), kMaxRedactBytes + std::string_view("…").size());
  EXPECT_TRUE(out.ends_with("…"));
  EXPECT_EQ(out, "*** \"GET /x?enc=***…");

  // Patterns see the cut line: a 1 MiB run of what a pattern matches piecewise.
  const std::string aaa = r.apply(std::string(1 << 20, 'a'));
  EXPECT_TRUE(aaa.starts_with("******"));
  EXPECT_EQ(aaa.find('a'), std::string::npos);
}

TEST(Redactor, InvalidUtf8IsHandledAndMaskedAround) {
  const Redactor r = make(true, true, {"s.cret"});
  const std::string line =
      "\xff\xfe 10.0.0.9 \"GET /\xc3(x?k=\xe2\x82 HTTP/1.1\" s\xff"
      "cret \xf0\x9f";
  const std::string out = r.apply(line);
  EXPECT_THAT(out, HasSubstr(" *** "));
  EXPECT_THAT(out, HasSubstr("?k=*** "));
  // The line's own invalid bytes are kept for cutUtf8 to replace; nothing else is lost.
  EXPECT_THAT(out, HasSubstr("\xff\xfe"));
  const std::string shown = cutUtf8(out, kContextLineChars);
  EXPECT_EQ(validUtf8(shown), shown);
  EXPECT_THAT(shown, Not(HasSubstr("10.0.0.9")));
}

}  // namespace
}  // namespace gw
