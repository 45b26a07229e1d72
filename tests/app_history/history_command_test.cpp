// `gatewatch history` run as a process on a state database written by HistoryStore: the table
// says what fired, how long it lasted and how each sink fared; --json, filters, a missing
// database and bad arguments.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../common/temp_dir.h"
#include "store/history_store.h"
#include "store/state_db.h"
#include "store/statements.h"

extern char** environ;

namespace gw {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the gatewatch binary with `args`, stdout and stderr captured in files of `dir`.
Outcome gatewatch(const testing::TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), GW_GATEWATCH_BIN);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = dir.file("stdout.txt"), err = dir.file("stderr.txt");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  Outcome run;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    run.err = "posix_spawn failed: " + std::to_string(rc);
    return run;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = slurp(out);
  run.err = slurp(err);
  return run;
}

Timestamp nowMs() { return std::chrono::floor<Millis>(std::chrono::system_clock::now()); }

// "2022-11-16 11:26:28+09:00", as the table shows a start.
std::string shownStart(Timestamp t, int offset_minutes) {
  std::string text = formatRfc3339(std::chrono::floor<std::chrono::seconds>(t), offset_minutes);
  text[10] = ' ';
  return text;
}

IncidentRow incident(const std::string& id, const std::string& rule, Timestamp started) {
  IncidentRow row;
  row.id = id;
  row.rule = rule;
  row.rule_kind = "ratio";
  row.severity = "critical";
  row.source = "driver-insu-prod";
  row.group_json = R"({"source":"driver-insu-prod","upstream":"10.0.0.5:8080"})";
  row.hostname = "ip-10-0-0-1";
  row.started_at = started;
  row.fired_at = started + 20s;
  row.utc_offset_minutes = 540;
  row.last_event = "firing";
  row.updated_at = started + 21s;
  row.peak_requests = 240;
  row.peak_errors = 230;
  row.peak_ratio = 230.0 / 240.0;
  row.summary = "502 Bad Gateway on 96% of 240 requests in the last 60s";
  row.alert_json = R"({"v":1,"event":"firing","summary":"502 Bad Gateway"})";
  return row;
}

DeliveryAttemptRow attempt(const std::string& incident_id, const std::string& sink,
                           const std::string& event, uint32_t n, Timestamp at, int status,
                           const std::string& outcome, const std::string& detail) {
  return DeliveryAttemptRow{.incident_id = incident_id,
                            .sink = sink,
                            .event = event,
                            .attempt = n,
                            .at = at,
                            .http_status = status,
                            .slack_error = {},
                            .latency_ms = 140,
                            .outcome = outcome,
                            .detail = detail};
}

class HistoryCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = dir_.file("state");
    now_ = nowMs();
  }

  // Fills the state database: a resolved incident delivered to one sink and refused by the
  // other, an open one still being retried, and one from three days ago.
  void fill() {
    auto opened = openStateDatabase(state_dir_, now_);
    ASSERT_TRUE(opened) << opened.error().message;
    auto store = HistoryStore::open(opened->db);
    ASSERT_TRUE(store) << store.error().message;

    resolved_start_ = now_ - 5h;
    IncidentRow resolved = incident("inc-resolved", "edge-5xx", resolved_start_);
    ASSERT_TRUE(store->recordEvent(resolved));
    resolved.last_event = "resolved";
    resolved.resolved_at = resolved_start_ + 1h + 2min + 5s;
    resolved.updated_at = *resolved.resolved_at + 1s;
    ASSERT_TRUE(store->recordEvent(resolved));
    const Timestamp t = resolved_start_ + 21s;
    ASSERT_TRUE(store->recordAttempt(
        attempt("inc-resolved", "ops-slack", "firing", 1, t, 200, "delivered", "HTTP 200 ok")));
    DeliveryAttemptRow refused = attempt("inc-resolved", "pager", "firing", 1, t + 1s, 404,
                                         "failed", "HTTP 404: no_service");
    refused.slack_error = "no_service";
    ASSERT_TRUE(store->recordAttempt(refused));
    ASSERT_TRUE(
        store->recordAttempt(attempt("inc-resolved", "ops-slack", "resolved", 1,
                                     *resolved.resolved_at + 1s, 200, "delivered", "HTTP 200 ok")));

    open_start_ = now_ - 10min;
    IncidentRow open = incident("inc-open", "upstream-down", open_start_);
    open.rule_kind = "consecutive";
    open.peak_requests = 3;
    open.peak_errors = 3;
    open.peak_ratio = 1.0;
    ASSERT_TRUE(store->recordEvent(open));
    for (uint32_t n = 1; n <= 3; ++n) {
      ASSERT_TRUE(
          store->recordAttempt(attempt("inc-open", "hook", "firing", n, open_start_ + 21s + n * 2s,
                                       503, "retry", "HTTP 503: the receiver is failing")));
    }

    IncidentRow old_one = incident("inc-old", "edge-5xx", now_ - 72h);
    old_one.resolved_at = now_ - 71h;
    old_one.updated_at = now_ - 71h;
    old_one.last_event = "resolved";
    ASSERT_TRUE(store->recordEvent(old_one));
  }

  Outcome history(std::vector<std::string> args) {
    args.insert(args.begin(), {"history", "--state-dir", state_dir_});
    return gatewatch(dir_, std::move(args));
  }

  testing::TempDir dir_;
  std::string state_dir_;
  Timestamp now_{};
  Timestamp resolved_start_{};
  Timestamp open_start_{};
};

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(HistoryCommandTest, TableShowsRuleDurationPeakAndHowEachSinkFared) {
  fill();
  const Outcome run = history({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = linesOf(run.out);
  ASSERT_GE(lines.size(), 5u) << run.out;
  EXPECT_THAT(lines[0], HasSubstr("STARTED"));
  EXPECT_THAT(lines[0], HasSubstr("DELIVERY"));

  // Newest first: the open incident, its retrying sink, then the resolved one and its refusal.
  EXPECT_THAT(lines[1], HasSubstr(shownStart(open_start_, 540)));
  EXPECT_THAT(lines[1], HasSubstr("upstream-down"));
  EXPECT_THAT(lines[1], HasSubstr("open"));
  EXPECT_THAT(lines[1], HasSubstr("100% 3/3"));
  EXPECT_THAT(lines[1], HasSubstr("hook RETRYING"));
  EXPECT_THAT(lines[2], HasSubstr("    hook: firing retrying - HTTP 503"));
  EXPECT_THAT(lines[2], HasSubstr("attempt 3"));

  EXPECT_THAT(lines[3], HasSubstr(shownStart(resolved_start_, 540)));
  EXPECT_THAT(lines[3], HasSubstr("edge-5xx"));
  EXPECT_THAT(lines[3], HasSubstr("driver-insu-prod upstream=10.0.0.5:8080"));
  EXPECT_THAT(lines[3], HasSubstr("1h 2m"));
  EXPECT_THAT(lines[3], HasSubstr("96% 230/240"));
  EXPECT_THAT(lines[3], HasSubstr("ops-slack ok"));
  EXPECT_THAT(lines[3], HasSubstr("pager FAILED"));
  EXPECT_THAT(lines[4], HasSubstr("    pager: firing failed - HTTP 404: no_service (attempt 1, "));

  // Columns line up: each incident's rule starts where the header's RULE does.
  const std::size_t rule_column = lines[0].find("RULE");
  EXPECT_EQ(lines[1].find("upstream-down"), rule_column);
  EXPECT_EQ(lines[3].find("edge-5xx"), rule_column);

  // Older than 24h: not in the default view.
  EXPECT_THAT(run.out, Not(HasSubstr(shownStart(now_ - 72h, 540))));
  EXPECT_THAT(run.out, HasSubstr("2 incidents since"));
}

TEST_F(HistoryCommandTest, GivenUpNotificationSaysSoWithTheLastAnswer) {
  {
    auto opened = openStateDatabase(state_dir_, now_);
    ASSERT_TRUE(opened) << opened.error().message;
    auto store = HistoryStore::open(opened->db);
    ASSERT_TRUE(store);
    const Timestamp start = now_ - 2h;
    ASSERT_TRUE(store->recordEvent(incident("inc-x", "edge-5xx", start)));
    ASSERT_TRUE(store->recordAttempt(
        attempt("inc-x", "hook", "firing", 1, start + 30s, 503, "retry", "HTTP 503")));
    ASSERT_TRUE(store->recordAttempt(attempt("inc-x", "hook", "firing", 2, start + 1h, 0, "retry",
                                             "timed out: no answer within 15s")));
    ASSERT_TRUE(store->recordAttempt(attempt("inc-x", "hook", "firing", 2, start + 90min, 0,
                                             "expired", "older than max_age (1h)")));
  }
  const Outcome run = history({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("hook EXPIRED"));
  EXPECT_THAT(run.out, HasSubstr("    hook: firing given up - older than max_age (1h) (last answer "
                                 "HTTP 503) (after 2 attempts, "));
}

TEST_F(HistoryCommandTest, SinceAllShowsOlderIncidents) {
  fill();
  const Outcome run = history({"--since", "all"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(shownStart(now_ - 72h, 540)));
  EXPECT_THAT(run.out, HasSubstr("3 incidents"));
  const Outcome week = history({"--since", "7d"});
  EXPECT_THAT(week.out, HasSubstr("3 incidents"));
}

TEST_F(HistoryCommandTest, JsonIsAnArrayOfIncidentsWithTheirAttempts) {
  fill();
  const Outcome run = history({"--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto json = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << run.out;
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);

  const auto& open = json[0];
  EXPECT_EQ(open["id"], "inc-open");
  EXPECT_EQ(open["rule"], "upstream-down");
  EXPECT_EQ(open["rule_kind"], "consecutive");
  EXPECT_EQ(open["open"], true);
  EXPECT_TRUE(open["resolved_at"].is_null());
  EXPECT_TRUE(open["duration_ms"].is_null());
  EXPECT_EQ(open["started_at"], formatRfc3339(open_start_, 540));
  ASSERT_EQ(open["attempts"].size(), 3u);
  EXPECT_EQ(open["attempts"][2]["attempt"], 3);
  EXPECT_EQ(open["attempts"][2]["outcome"], "retry");
  EXPECT_EQ(open["attempts"][2]["http_status"], 503);

  const auto& resolved = json[1];
  EXPECT_EQ(resolved["id"], "inc-resolved");
  EXPECT_EQ(resolved["source"], "driver-insu-prod");
  EXPECT_EQ(resolved["group"]["upstream"], "10.0.0.5:8080");
  EXPECT_EQ(resolved["hostname"], "ip-10-0-0-1");
  EXPECT_EQ(resolved["severity"], "critical");
  EXPECT_EQ(resolved["last_event"], "resolved");
  EXPECT_EQ(resolved["open"], false);
  EXPECT_EQ(resolved["duration_ms"], (1h + 2min + 5s) / 1ms);
  EXPECT_EQ(resolved["resolved_at"], formatRfc3339(resolved_start_ + 1h + 2min + 5s, 540));
  EXPECT_EQ(resolved["peak"]["requests"], 240);
  EXPECT_EQ(resolved["peak"]["errors"], 230);
  EXPECT_NEAR(resolved["peak"]["ratio"].get<double>(), 230.0 / 240.0, 1e-12);
  EXPECT_EQ(resolved["summary"], "502 Bad Gateway on 96% of 240 requests in the last 60s");
  EXPECT_EQ(resolved["alert"]["summary"], "502 Bad Gateway");
  ASSERT_EQ(resolved["attempts"].size(), 3u);
  EXPECT_EQ(resolved["attempts"][1]["sink"], "pager");
  EXPECT_EQ(resolved["attempts"][1]["slack_error"], "no_service");
  EXPECT_EQ(resolved["attempts"][1]["outcome"], "failed");
  EXPECT_EQ(resolved["attempts"][1]["http_status"], 404);
}

TEST_F(HistoryCommandTest, RuleFilterKeepsOnlyThatRule) {
  fill();
  const Outcome table = history({"--rule", "upstream-down"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("upstream-down"));
  EXPECT_THAT(table.out, Not(HasSubstr("edge-5xx")));
  EXPECT_THAT(table.out, HasSubstr("1 incident since"));

  const Outcome json = history({"--rule", "edge-5xx", "--since", "all", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed.size(), 2u);
  for (const auto& item : parsed) EXPECT_EQ(item["rule"], "edge-5xx");

  const Outcome none = history({"--rule", "no-such-rule"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_THAT(none.out, HasSubstr("No incidents"));
}

TEST_F(HistoryCommandTest, OpenAndSourceFilters) {
  fill();
  const Outcome open = history({"--open", "--since", "all", "--json"});
  ASSERT_EQ(open.exit_code, 0) << open.err;
  const auto parsed = nlohmann::json::parse(open.out);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["id"], "inc-open");

  const Outcome other = history({"--source", "another-site", "--json"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_TRUE(nlohmann::json::parse(other.out).empty());
}

TEST_F(HistoryCommandTest, LimitShowsTheNewestAndSaysSo) {
  fill();
  const Outcome run = history({"--limit", "1", "--since", "all"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("upstream-down"));
  EXPECT_THAT(run.out, Not(HasSubstr("edge-5xx")));
  EXPECT_THAT(run.out, HasSubstr("Only the newest 1"));
}

TEST_F(HistoryCommandTest, MissingDatabaseIsAFriendlyAnswerAndIsNotCreated) {
  const Outcome run = history({});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("No alert has been recorded yet"));
  EXPECT_THAT(run.out, HasSubstr("gatewatch.db"));
  EXPECT_FALSE(std::filesystem::exists(state_dir_ + "/gatewatch.db"));

  const Outcome json = history({"--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(json.out), nlohmann::json::array());
  EXPECT_THAT(json.err, HasSubstr("No alert has been recorded yet"));
  EXPECT_FALSE(std::filesystem::exists(state_dir_));
}

TEST_F(HistoryCommandTest, BadSinceIsAUsageErrorNamingTheValue) {
  fill();
  const Outcome run = history({"--since", "3x"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("'3x'"));
  EXPECT_THAT(run.err, HasSubstr("24h"));
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST_F(HistoryCommandTest, LimitOutOfRangeIsAUsageError) {
  const Outcome zero = history({"--limit", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_THAT(zero.err, HasSubstr("--limit"));
  const Outcome huge = history({"--limit", "5000"});
  EXPECT_EQ(huge.exit_code, 2);
}

TEST_F(HistoryCommandTest, StateDirectoryComesFromTheConfig) {
  fill();
  const std::string config = dir_.write("gatewatch.yaml", "state_dir: " + state_dir_ +
                                                              "\n"
                                                              "sources:\n"
                                                              "  - name: web\n"
                                                              "    access_log: /var/log/x.log\n");
  const Outcome run = gatewatch(dir_, {"history", "-c", config});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("upstream-down"));
}

TEST_F(HistoryCommandTest, ConfigProblemsAreAUsageErrorWithEachProblem) {
  const std::string config = dir_.write("bad.yaml", "state_dir: " + state_dir_ + "\n");
  const Outcome run = gatewatch(dir_, {"history", "--config", config});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("bad.yaml:1:1: no sources"));
  EXPECT_THAT(run.err, HasSubstr("--state-dir"));
}

TEST_F(HistoryCommandTest, TextFromLogsCannotDriveTheTerminal) {
  {
    auto opened = openStateDatabase(state_dir_, now_);
    ASSERT_TRUE(opened) << opened.error().message;
    auto store = HistoryStore::open(opened->db);
    ASSERT_TRUE(store);
    IncidentRow row = incident("inc-hostile", "edge-5xx", now_ - 1h);
    row.group_json = R"({"source":"driver-insu-prod","path":"/a\u001b[2J\u202eevil"})";
    ASSERT_TRUE(store->recordEvent(row));
    DeliveryAttemptRow a = attempt("inc-hostile", "ops-slack", "firing", 1, now_ - 1h, 400,
                                   "failed", "Slack said \x1b]0;title\x07");
    ASSERT_TRUE(store->recordAttempt(a));
  }
  const Outcome run = history({});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find('\x07'), std::string::npos);
  EXPECT_EQ(run.out.find("\u202e"), std::string::npos);
  EXPECT_THAT(run.out, HasSubstr("\\x1B[2J"));
  EXPECT_THAT(run.out, HasSubstr("<U+202E>"));
}

TEST_F(HistoryCommandTest, DatabaseWithoutHistoryTablesSaysNothingWasRecorded) {
  // A state directory written by a gatewatch that knew only checkpoints (schema version 1).
  std::filesystem::create_directories(state_dir_);
  {
    auto db = Database::open(state_dir_ + "/gatewatch.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(
        db->exec("CREATE TABLE checkpoints (x); PRAGMA user_version = 1; "
                 "PRAGMA application_id = " +
                 std::to_string(sql::kApplicationId)));
  }
  const Outcome run = history({});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("No alert has been recorded yet"));
}

TEST_F(HistoryCommandTest, AFileThatIsNotADatabaseIsAFailureSayingWhichFile) {
  std::filesystem::create_directories(state_dir_);
  std::ofstream(state_dir_ + "/gatewatch.db") << std::string(4096, 'x');
  const Outcome run = history({});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr(state_dir_ + "/gatewatch.db"));
  EXPECT_THAT(run.err, HasSubstr("what to do"));
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/gatewatch.db")) << "never moved aside";
}

}  // namespace
}  // namespace gw
