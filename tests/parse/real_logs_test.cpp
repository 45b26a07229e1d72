// Real access logs nobody here wrote (shared/data/real, see its SOURCES.md), parsed with the
// format each was written with. Every count below was checked by hand with awk, e.g. statuses
// with  awk -F'"' '{split($3,a," "); print a[1]}' FILE | sort | uniq -c.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "parse/log_format.h"

namespace gw {
namespace {

const std::string kRealDir = GW_SHARED_DIR "/data/real";

struct Counts {
  std::size_t lines = 0;
  std::size_t parsed = 0;
  std::size_t malformed = 0;
  std::map<int, std::size_t> by_status;
  std::vector<std::size_t> by_format;
  std::size_t upstream_reached = 0;
  std::size_t upstream_not_reached = 0;
  std::size_t first_attempt_5xx = 0;  // upstream_statuses[0] is 5xx
  std::size_t with_time = 0;
  std::string first_reason;

  std::size_t count5xx() const {
    std::size_t n = 0;
    for (const auto& [status, c] : by_status) n += status >= 500 && status < 600 ? c : 0;
    return n;
  }
};

std::vector<LogFormat> compileAll(const std::vector<std::string>& texts) {
  std::vector<LogFormat> out;
  for (const std::string& t : texts) {
    auto f = LogFormat::compile(t);
    EXPECT_TRUE(f.ok()) << t;
    if (f.ok()) out.push_back(std::move(f).value());
  }
  return out;
}

Counts parseFile(const std::string& name, const std::vector<std::string>& formats) {
  AccessParser parser(compileAll(formats));
  Counts c;
  c.by_format.resize(formats.size());
  std::ifstream in(kRealDir + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::string line;
  AccessRecord r;
  ParseFailure failure;
  while (std::getline(in, line)) {
    ++c.lines;
    if (!parser.parse(line, r, failure)) {
      ++c.malformed;
      if (c.first_reason.empty()) c.first_reason = describe(failure);
      continue;
    }
    ++c.parsed;
    ++c.by_status[r.status];
    ++c.by_format[parser.matchedFormat()];
    if (r.has_time) ++c.with_time;
    if (r.upstream_reach == UpstreamReach::kReached) ++c.upstream_reached;
    if (r.upstream_reach == UpstreamReach::kNotReached) ++c.upstream_not_reached;
    if (r.upstream_status_count > 0 && r.upstream_statuses[0] >= 500) ++c.first_attempt_5xx;
  }
  return c;
}

// The format text of block "Fn" in log_formats.txt.
std::string sharedFormat(const std::string& id) {
  std::ifstream in(kRealDir + "/log_formats.txt");
  std::string line, text;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.starts_with("# F")) {
      if (inside) break;
      inside = line.substr(2, line.find(' ', 2) - 2) == id;
    } else if (inside && !line.starts_with("#") && !line.empty()) {
      text += line + "\n";
    }
  }
  return text;
}

// Combined with the virtual host in front, as the honeypot's nginx wrote it: requests without a
// Host header log an empty $host, so those lines begin with a space.
constexpr const char* kHoneypotFormat =
    R"($host $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $server_port)";
// The same read as "a leading space" (what the file looks like at first sight).
constexpr const char* kHoneypotLeadingSpaceFormat =
    R"( $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" $server_port)";

class RealLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kRealDir + "/SOURCES.md")) {
      GTEST_SKIP() << "shared folder with real logs not found at " << kRealDir;
    }
  }
};

TEST_F(RealLogs, CoralogixCombined) {
  // 995 lines + a last one without a trailing newline; not time-sorted; one has a host name
  // where the client address goes.
  const Counts c = parseFile("access/coralogix_techstuds_combined.log", {"combined"});
  EXPECT_EQ(c.lines, 996u);
  EXPECT_EQ(c.parsed, 996u) << c.first_reason;
  EXPECT_EQ(c.malformed, 0u);
  EXPECT_EQ(c.count5xx(), 0u);
  EXPECT_EQ(c.by_status.at(499), 3u);
  EXPECT_EQ(c.by_status.at(200), 594u);
  EXPECT_EQ(c.by_status.at(301), 373u);
  EXPECT_EQ(c.with_time, 996u);
}

TEST_F(RealLogs, LnavShopMain) {
  const Counts c = parseFile("access/lnav_zanbil_shop_main.log", {"main"});
  EXPECT_EQ(c.parsed, 1000u) << c.first_reason;
  EXPECT_EQ(c.malformed, 0u);
  EXPECT_EQ(c.by_status.at(200), 938u);
  EXPECT_EQ(c.by_status.at(404), 24u);
  EXPECT_EQ(c.by_status.at(302), 20u);
  EXPECT_EQ(c.by_status.at(301), 11u);
  EXPECT_EQ(c.by_status.at(304), 7u);
}

TEST_F(RealLogs, DadosGovMainAndCombinedInterleaved) {
  // The same requests logged by two access_log directives: 2149 lines in main (9 quote-
  // separated fields), 22 in combined (7), counted with awk -F'"' '{print NF}'.
  const Counts c = parseFile("access/dadosgovpe_mixed_main_combined.log.1", {"main", "combined"});
  EXPECT_EQ(c.lines, 2171u);
  EXPECT_EQ(c.parsed, 2171u) << c.first_reason;
  EXPECT_EQ(c.malformed, 0u);
  EXPECT_EQ(c.by_format[0], 2149u);
  EXPECT_EQ(c.by_format[1], 22u);
  EXPECT_EQ(c.count5xx(), 6u);
  EXPECT_EQ(c.by_status.at(502), 6u);
  EXPECT_EQ(c.by_status.at(499), 6u);
  // Order does not matter: the format needing no raw quote inside a value wins.
  const Counts reversed =
      parseFile("access/dadosgovpe_mixed_main_combined.log.1", {"combined", "main"});
  EXPECT_EQ(reversed.by_format[0], 22u);
  EXPECT_EQ(reversed.by_format[1], 2149u);
}

TEST_F(RealLogs, DadosGovWithCombinedAloneStillCountsEveryStatus) {
  // A source configured as combined while half its lines are main: lenient, nothing lost.
  const Counts c = parseFile("access/dadosgovpe_mixed_main_combined.log.1", {"combined"});
  EXPECT_EQ(c.parsed, 2171u) << c.first_reason;
  EXPECT_EQ(c.by_status.at(502), 6u);
}

TEST_F(RealLogs, HoneypotWithHostPrefixAndServerPort) {
  const Counts a = parseFile("access/honeypot_garbage_port.log", {kHoneypotFormat});
  EXPECT_EQ(a.lines, 3888u);
  EXPECT_EQ(a.parsed, 3888u) << a.first_reason;
  EXPECT_EQ(a.by_status.at(400), 3737u);
  EXPECT_EQ(a.by_status.at(404), 121u);
  EXPECT_EQ(a.by_status.at(403), 21u);
  EXPECT_EQ(a.by_status.at(200), 9u);
  const Counts b = parseFile("access/honeypot_garbage_port.log.1", {kHoneypotFormat});
  EXPECT_EQ(b.lines, 5255u);
  EXPECT_EQ(b.parsed, 5255u) << b.first_reason;
  EXPECT_EQ(b.by_status.at(400), 4604u);
  EXPECT_EQ(b.count5xx(), 0u);
}

TEST_F(RealLogs, HoneypotReadAsLeadingSpaceMissesTheLinesWithAHost) {
  // grep -c '^ ': 3739 and 4607 lines start with a space; the others start with the host.
  const Counts a = parseFile("access/honeypot_garbage_port.log", {kHoneypotLeadingSpaceFormat});
  EXPECT_EQ(a.parsed, 3739u);
  EXPECT_EQ(a.malformed, 149u);
  const Counts b = parseFile("access/honeypot_garbage_port.log.1", {kHoneypotLeadingSpaceFormat});
  EXPECT_EQ(b.parsed, 4607u);
  EXPECT_EQ(b.malformed, 648u);
}

TEST_F(RealLogs, HoneypotAsPlainCombinedIsAllMalformed) {
  const Counts c = parseFile("access/honeypot_garbage_port.log", {"combined"});
  EXPECT_EQ(c.parsed, 0u);
  EXPECT_EQ(c.malformed, 3888u);
  EXPECT_EQ(c.first_reason,
            "remote_addr at byte 0: expected an address or name (no spaces), found ' '");
}

TEST_F(RealLogs, PoufyBehindElb) {
  // Every line is combined (7 quote-separated fields); read with both formats as SOURCES.md
  // suggests, none is taken for main.
  const Counts c = parseFile("access/poufy_elb_mixed.log.1", {"main", "combined"});
  EXPECT_EQ(c.lines, 7958u);
  EXPECT_EQ(c.parsed, 7958u) << c.first_reason;
  EXPECT_EQ(c.by_format[0], 0u);
  EXPECT_EQ(c.by_format[1], 7958u);
  EXPECT_EQ(c.count5xx(), 0u);
  EXPECT_EQ(c.by_status.at(499), 3u);
  EXPECT_EQ(c.by_status.at(408), 1u);
  EXPECT_EQ(c.by_status.at(400), 19u);
}

TEST_F(RealLogs, WhatismyipMainWithItsOutage) {
  const Counts c = parseFile("access/whatismyip_main_access.log", {"main"});
  EXPECT_EQ(c.parsed, 196u) << c.first_reason;
  EXPECT_EQ(c.count5xx(), 25u);
  EXPECT_EQ(c.by_status.at(500), 20u);
  EXPECT_EQ(c.by_status.at(502), 5u);
  EXPECT_EQ(c.by_status.at(499), 1u);
}

TEST_F(RealLogs, KeyValueFormatF13) {
  const Counts c = parseFile("access/hng13_stage3_kv_upstream.log", {sharedFormat("F13")});
  EXPECT_EQ(c.parsed, 334u) << c.first_reason;
  EXPECT_EQ(c.by_status.at(404), 332u);
  EXPECT_EQ(c.by_status.at(200), 2u);
  EXPECT_EQ(c.upstream_reached, 334u);
}

TEST_F(RealLogs, PipeFormatF14WithARetriedUpstream) {
  // SOURCES.md counts one 5xx: `upstream_status:500, 200` on a line whose $status is 200 (the
  // retry succeeded). Here it is a first-attempt failure, not a failed request.
  const Counts c = parseFile("access/hng13_stage2_pipe_upstream.log", {sharedFormat("F14")});
  EXPECT_EQ(c.parsed, 35u) << c.first_reason;
  EXPECT_EQ(c.by_status.at(200), 35u);
  EXPECT_EQ(c.count5xx(), 0u);
  EXPECT_EQ(c.first_attempt_5xx, 1u);
  EXPECT_EQ(c.with_time, 35u);
  EXPECT_EQ(c.upstream_reached, 35u);
}

TEST_F(RealLogs, OddCustomFormatF16) {
  const Counts c = parseFile("access/l12_balancing_custom.log", {sharedFormat("F16")});
  EXPECT_EQ(c.parsed, 13u) << c.first_reason;
  EXPECT_EQ(c.by_status.at(502), 2u);
  EXPECT_EQ(c.by_status.at(200), 10u);
}

TEST_F(RealLogs, Fail2banFixtureCommentsAndBlankLinesAreMalformed) {
  // 8 "# failJSON" comments + 7 blank lines + 8 log lines (the last without a newline).
  const Counts c = parseFile("access/fail2ban_nginx-bad-request.txt", {"main"});
  EXPECT_EQ(c.lines, 23u);
  EXPECT_EQ(c.parsed, 8u);
  EXPECT_EQ(c.malformed, 15u);
  EXPECT_EQ(c.by_status.at(400), 8u);
}

TEST_F(RealLogs, EdgeLinesWithMainAndCombined) {
  // Lines 1-8 begin with a space (honeypot), 20-22 and 24 carry more than an address in front,
  // 25-30 are ingress-nginx upstreaminfo, 34-35 a docker prefix, 36 an error-log line.
  const Counts c = parseFile("edge_lines.log", {"main", "combined"});
  EXPECT_EQ(c.lines, 39u);
  EXPECT_EQ(c.parsed, 18u);
  EXPECT_EQ(c.malformed, 21u);
  EXPECT_EQ(c.by_status.at(502), 4u);
}

TEST_F(RealLogs, EdgeLinesIngressUpstreamInfo) {
  const Counts c = parseFile("edge_lines.log", {sharedFormat("F3")});
  // Lines 25-30 only.
  EXPECT_EQ(c.parsed, 6u);
  EXPECT_EQ(c.upstream_reached, 5u);
  EXPECT_EQ(c.upstream_not_reached, 1u);  // line 25: a bad method, every upstream field '-'
  EXPECT_EQ(c.first_attempt_5xx, 1u);     // line 27: "502, 502"
}

}  // namespace
}  // namespace gw
