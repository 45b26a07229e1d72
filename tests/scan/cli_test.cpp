// The real binary: exit codes and what a user sees on bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include "../common/temp_dir.h"

namespace gw {
namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandRun gatewatch(const std::string& args) {
  const std::string cmd = GW_BINARY_DIR "/daemon/gatewatch " + args + " 2>&1";
  CommandRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) run.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

TEST(Cli, NoSubcommandIsAUsageError) { EXPECT_EQ(gatewatch("").exit_code, 2); }

TEST(Cli, ScanWithoutFilesIsAUsageError) {
  const CommandRun run = gatewatch("scan");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("give log files"), std::string::npos) << run.output;
}

TEST(Cli, ScanOfAMissingFileFailsNamingIt) {
  const CommandRun run = gatewatch("scan /nonexistent/access.log");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.output.find("/nonexistent/access.log"), std::string::npos) << run.output;
}

TEST(Cli, ScanPrintsIncidentsOfTheBundledOutage) {
  testing::TempDir dir;
  ASSERT_EQ(std::system(("python3 " GW_SOURCE_DIR "/tests/data/make_incident_logs.py " +
                         dir.path().string())
                            .c_str()),
            0);
  const std::string format =
      R"('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" )"
      R"("$http_user_agent" $request_time $upstream_response_time "$upstream_addr" $upstream_status')";
  const CommandRun run =
      gatewatch("scan --no-color --timezone Asia/Seoul --format " + format + " --error-log " +
                dir.file("error.log") + " " + dir.file("access.log*"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("2022-11-16 11:07:38 +09:00"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("Connection refused"), std::string::npos) << run.output;
}

TEST(Cli, ScanJsonIsParseable) {
  testing::TempDir dir;
  const auto path = dir.write(
      "access.log",
      "1.2.3.4 - - [16/Nov/2022:11:26:28 +0900] \"GET /\xff HTTP/1.1\" 502 5 \"-\" \"x\"\n");
  const CommandRun run = gatewatch("scan --json " + path);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("\"lines\": 1"), std::string::npos) << run.output;
}

TEST(Cli, CheckOfAMissingConfigIsAConfigError) {
  const CommandRun run = gatewatch("check --config /nonexistent/gatewatch.yaml");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("/nonexistent/gatewatch.yaml"), std::string::npos) << run.output;
}

TEST(Cli, CheckReportsEveryProblemWithPosition) {
  testing::TempDir dir;
  const auto path = dir.write("bad.yaml",
                              "sources:\n"
                              "  - name: a\n"
                              "    acess_log: /var/log/nginx/access.log\n"
                              "rules:\n"
                              "  - name: r\n"
                              "    kind: ratio\n"
                              "    window: 5 min\n");
  const CommandRun run = gatewatch("check --config " + path);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("bad.yaml:3:5"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("access_log"), std::string::npos) << run.output;  // did you mean
  EXPECT_NE(run.output.find("bad.yaml:7:"), std::string::npos) << run.output;
}

TEST(Cli, CheckAcceptsTheExampleConfigs) {
  for (const char* name : {"gatewatch.yaml", "incident.yaml"}) {
    const CommandRun run =
        gatewatch(std::string("check --config " GW_SOURCE_DIR "/config/") + name);
    EXPECT_EQ(run.exit_code, 0) << name << ": " << run.output;
  }
}

}  // namespace
}  // namespace gw
