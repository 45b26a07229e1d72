#include <gtest/gtest.h>

#include "parse/log_format.h"

namespace gw {
namespace {

TEST(AccessParser, ParsesCombinedLine) {
  AccessParser parser(LogFormat::compile("combined").value());
  AccessRecord r;
  ParseFailure f;
  const std::string line =
      R"(223.39.250.204 - - [16/Nov/2022:11:26:28 +0900] "GET /join/user-form?enc=x HTTP/1.1" 502 568 "https://a/" "Mozilla/5.0")";
  ASSERT_TRUE(parser.parse(line, r, f)) << describe(f);
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/join/user-form");
  EXPECT_EQ(r.query, "enc=x");
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  EXPECT_EQ(r.remote_addr, "223.39.250.204");
  EXPECT_EQ(r.user_agent, "Mozilla/5.0");
  EXPECT_EQ(r.referer, "https://a/");
  EXPECT_EQ(r.body_bytes, 568);
  EXPECT_EQ(r.utc_offset_minutes, 540);
  EXPECT_EQ(r.time.time_since_epoch().count(), 1668565588000LL);
}

}  // namespace
}  // namespace gw
