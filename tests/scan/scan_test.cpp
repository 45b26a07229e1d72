// Scenario tests of `scan` over real files: the incident's quiet site with rotated, gzipped logs,
// and the shared generator's 2M-line busy site with two storms.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../common/generator_formats.h"
#include "../common/temp_dir.h"
#include "scan/scan_render.h"
#include "scan/scanner.h"

namespace gw {
namespace {

std::string rfc(const std::optional<Timestamp>& t) {
  return t ? formatRfc3339(*t, 9 * 60) : "none";
}

class IncidentLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cmd =
        "python3 " GW_SOURCE_DIR "/tests/data/make_incident_logs.py " + dir_.path().string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(dir_.file("expected.json"));
    expected_ = nlohmann::json::parse(in);
  }

  ScanResult scan(std::vector<std::string> paths, bool with_errors = true) {
    ScanInput input;
    input.access_paths = std::move(paths);
    if (with_errors) input.error_paths = {dir_.file("error.log")};
    input.formats = {testing::kExtendedFormat};
    input.timezone = "Asia/Seoul";
    Scanner scanner(std::move(input));
    auto result = scanner.run();
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? std::move(result).value() : ScanResult{};
  }

  testing::TempDir dir_;
  nlohmann::json expected_;
};

TEST_F(IncidentLogs, NamesTheFirst502AndTheLastGoodRequestBeforeIt) {
  const ScanResult r = scan({dir_.file("access.log*")});
  ASSERT_EQ(r.incidents.size(), 1u) << renderScanText(r, {});
  const IncidentReport& inc = r.incidents[0];
  EXPECT_EQ(formatRfc3339(inc.fired.started_at, 9 * 60), expected_["first_502"].get<std::string>());
  EXPECT_EQ(rfc(inc.last_good_before), expected_["last_good_before"].get<std::string>());
  EXPECT_EQ(rfc(inc.last_failure_at), expected_["last_502"].get<std::string>());
  ASSERT_TRUE(inc.resolved.has_value()) << "the upstream came back at 13:41";
  ASSERT_TRUE(inc.resolved->resolved_at.has_value());
  EXPECT_GE(rfc(inc.resolved->resolved_at), expected_["first_good_after"].get<std::string>());
  EXPECT_EQ(inc.fired.incident_id, inc.resolved->incident_id);
  EXPECT_NE(inc.first_failure_line.find("\" 502 "), std::string::npos);
}

TEST_F(IncidentLogs, ReadsEveryRotatedAndGzippedFileInTimeOrder) {
  const ScanResult r = scan({dir_.file("access.log*")});
  ASSERT_EQ(r.files.size(), 4u);  // access.log, .1, .2.gz and error.log
  EXPECT_EQ(r.malformed, 0u);
  uint64_t access_lines = 0;
  for (const FileSummary& f : r.files) {
    EXPECT_EQ(f.malformed, 0u) << f.path;
    EXPECT_TRUE(f.first_time.has_value()) << f.path;
    if (!f.error_log) access_lines += f.parsed;
  }
  EXPECT_EQ(access_lines, expected_["requests"].get<uint64_t>());
  // The per-minute picture accounts for every request and every 502.
  uint64_t requests = 0, failures = 0;
  for (const auto& [minute, counts] : r.timelines.at(0).minutes) {
    requests += counts.requests;
    failures += counts.upstream_failures;
  }
  EXPECT_EQ(requests, expected_["requests"].get<uint64_t>());
  EXPECT_EQ(failures, expected_["failures"].get<uint64_t>());
}

TEST_F(IncidentLogs, CarriesTheMatchingErrorLogLines) {
  const ScanResult r = scan({dir_.file("access.log*")});
  ASSERT_EQ(r.incidents.size(), 1u);
  ASSERT_FALSE(r.incidents[0].error_lines.empty());
  EXPECT_NE(r.incidents[0].error_lines[0].find("connect() failed (111: Connection refused)"),
            std::string::npos);
}

TEST_F(IncidentLogs, FilesGivenInAnyOrderGiveTheSameAnswer) {
  const ScanResult forward =
      scan({dir_.file("access.log.2.gz"), dir_.file("access.log.1"), dir_.file("access.log")});
  const ScanResult backward =
      scan({dir_.file("access.log"), dir_.file("access.log.1"), dir_.file("access.log.2.gz")});
  ASSERT_EQ(forward.incidents.size(), 1u);
  ASSERT_EQ(backward.incidents.size(), 1u);
  EXPECT_EQ(forward.incidents[0].fired.started_at, backward.incidents[0].fired.started_at);
  EXPECT_EQ(forward.incidents[0].fired.incident_id, backward.incidents[0].fired.incident_id);
}

TEST_F(IncidentLogs, JsonReportCarriesTheTimeline) {
  const ScanResult r = scan({dir_.file("access.log*")});
  const nlohmann::json j = scanToJson(r);
  ASSERT_EQ(j["incidents"].size(), 1u);
  EXPECT_EQ(j["incidents"][0]["started_at"], expected_["first_502"]);
  EXPECT_EQ(j["incidents"][0]["last_good_before"], expected_["last_good_before"]);
  EXPECT_EQ(j["incidents"][0]["event"], "resolved");
  EXPECT_FALSE(j["minutes"].empty());
}

TEST(Scan, MalformedLinesAreCountedWithReasonAndLineNumber) {
  testing::TempDir dir;
  const std::string good =
      R"(1.2.3.4 - - [16/Nov/2022:11:26:28 +0900] "GET / HTTP/1.1" 200 5 "-" "curl")";
  const auto path = dir.write("access.log", good + "\ngarbage here\n" + good + "\n\n");
  ScanInput input;
  input.access_paths = {path};
  auto result = Scanner(std::move(input)).run();
  ASSERT_TRUE(result.ok());
  const FileSummary& f = result.value().files.at(0);
  EXPECT_EQ(f.lines, 4u);
  EXPECT_EQ(f.parsed, 2u);
  EXPECT_EQ(f.malformed, 2u);
  ASSERT_FALSE(f.malformed_samples.empty());
  EXPECT_EQ(f.malformed_samples[0].line_number, 2u);
  EXPECT_FALSE(f.malformed_samples[0].reason.empty());
}

TEST(Scan, TheIncidentReportLinesAreMalformedWithAReason) {
  const std::string seed = GW_SHARED_DIR "/data/seed-incident-lines.log";
  if (!std::ifstream(seed)) GTEST_SKIP() << "no shared data folder at " << seed;
  ScanInput input;
  input.access_paths = {seed};
  auto result = Scanner(std::move(input)).run();
  ASSERT_TRUE(result.ok());
  const FileSummary& f = result.value().files.at(0);
  EXPECT_EQ(f.malformed, 2u);
  ASSERT_EQ(f.malformed_samples.size(), 2u);
  EXPECT_NE(f.malformed_samples[1].reason.find("'['"), std::string::npos)
      << f.malformed_samples[1].reason;
}

TEST(Scan, GlobMatchingNothingIsAnErrorNamingIt) {
  ScanInput input;
  input.access_paths = {"/nonexistent-dir/access.log*"};
  auto result = Scanner(std::move(input)).run();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("/nonexistent-dir/access.log*"), std::string::npos);
}

TEST(Scan, BadFormatIsAnErrorNamingIt) {
  testing::TempDir dir;
  ScanInput input;
  input.access_paths = {dir.write("access.log", "x\n")};
  input.formats = {"'$remote_addr \"$request"};
  auto result = Scanner(std::move(input)).run();
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("log format"), std::string::npos);
}

// The shared generator's default file: 2M lines at 1,000 lines/s from 11:00, 0.45% background
// 5xx, storms at 11:10 (60 s, 50%) and 11:25 (120 s, 30%). Exactly those two must be reported.
TEST(Scan, GeneratorFileReportsItsTwoStormsAndNothingElse) {
  const std::string gen = GW_SHARED_DIR "/bench/gen_nginx_log.py";
  if (!std::ifstream(gen)) GTEST_SKIP() << "no shared bench folder at " << gen;
  testing::TempDir dir;
  const std::string log = dir.file("access.log");
  const std::string cmd = "python3 " + gen + " -n 2000000 -o " + log;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  ScanInput input;
  input.access_paths = {log};
  auto result = Scanner(std::move(input)).run();
  ASSERT_TRUE(result.ok());
  const ScanResult& r = result.value();
  EXPECT_EQ(r.lines, 2'000'000u);
  std::vector<std::string> starts;
  for (const IncidentReport& inc : r.incidents)
    starts.push_back(formatRfc3339(inc.fired.started_at, 9 * 60));
  // Both default rules may see one storm; what matters is that every incident is inside a storm and
  // each storm has one.
  bool storm1 = false, storm2 = false;
  for (const std::string& s : starts) {
    const bool in1 = s >= "2022-11-16T11:10:00+09:00" && s < "2022-11-16T11:11:00+09:00";
    const bool in2 = s >= "2022-11-16T11:25:00+09:00" && s < "2022-11-16T11:27:00+09:00";
    EXPECT_TRUE(in1 || in2) << "incident outside the storms, started " << s;
    storm1 |= in1;
    storm2 |= in2;
  }
  EXPECT_TRUE(storm1) << renderScanText(r, {});
  EXPECT_TRUE(storm2) << renderScanText(r, {});
  for (const IncidentReport& inc : r.incidents)
    EXPECT_TRUE(inc.resolved.has_value()) << inc.fired.rule;
}

}  // namespace
}  // namespace gw
