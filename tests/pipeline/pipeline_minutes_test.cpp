// The pipeline's per-minute counters end to end on real files, real inotify and a real state
// database: live lines by their own minute, written at stop; a restart's warm-up never counts a
// line twice; quiet followed minutes get zero rows; retention; a reload that drops a source.
// The clock is a manual one; the io_context runs until a condition holds, bounded, no sleeps.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <functional>
#include <numeric>

#include "../common/temp_dir.h"
#include "pipeline/pipeline.h"
#include "store/minute_store.h"
#include "store/state_db.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

// 2022-11-16T11:26:00Z, a minute's first millisecond.
constexpr Timestamp kMinute{Millis{1'668'597'960'000}};
constexpr Millis kWait{20s};  // bound on every wait; a pass takes milliseconds

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp now) : now_(now) {}
  Timestamp now() const override { return now_; }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  void set(Timestamp now) { now_ = now; }

 private:
  Timestamp now_;
};

// A `combined` line stamped `at` (UTC) answered with `status`.
std::string accessLine(Timestamp at, int status) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(at - day)};
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "10.0.0.1 - - [%02u/%s/%04d:%02ld:%02ld:%02ld +0000] \"GET /x HTTP/1.1\" %d 12 "
                "\"-\" \"curl/7.88\"\n",
                unsigned(ymd.day()), kMonths[unsigned(ymd.month()) - 1], int(ymd.year()),
                long(hms.hours().count()), long(hms.minutes().count()), long(hms.seconds().count()),
                status);
  return buf;
}

struct Line {
  Timestamp at;
  int status;
};

void append(const std::string& path, const std::vector<Line>& lines) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  for (const Line& l : lines) out << accessLine(l.at, l.status);
}

class PipelineMinutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = openStateDatabase(dir.file("state"), clock.now());
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(opened->db));
    config.sources.push_back(sourceNamed("web"));
  }

  SourceConfig sourceNamed(const std::string& name) {
    SourceConfig source;
    source.name = name;
    source.access_log = dir.file(name + ".log");
    source.formats = {"combined"};
    source.timezone = "UTC";
    return source;
  }

  void start() {
    pipeline = std::make_unique<Pipeline>(
        io, config, *db, clock,
        PipelineOptions{
            .hostname = "test", .version = "test", .display_zone = TimeZone::utc(), .tick = 10ms},
        [](const Alert&) {});
    auto started = pipeline->start(nullptr);
    ASSERT_TRUE(started) << started.error().message;
  }

  void stop() {
    pipeline->stop();
    io.poll();
    pipeline.reset();
    io.restart();
  }

  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_for(5ms);
    }
    return true;
  }

  // Live lines parsed so far by the source at `index` (the snapshot of the latest tick).
  uint64_t parsed(std::size_t index = 0) const {
    auto snap = pipeline->snapshot();
    return snap && snap->sources.size() > index ? snap->sources[index].lines_parsed : 0;
  }

  // Sets the clock and runs until a tick has seen it (the tick publishes its snapshot after
  // the minutes' work; start() publishes one too, so the time must be new).
  bool tickAt(Timestamp now) {
    clock.set(now);
    return runUntil([&] {
      auto snap = pipeline->snapshot();
      return snap && snap->taken_at == now;
    });
  }

  std::vector<MinuteCounts> rows(const std::string& source) {
    MinuteStore store(*db);
    auto read = store.read(source, kMinute - 24h * 13, kMinute + 24h);
    EXPECT_TRUE(read) << read.error().message;
    return read ? *read : std::vector<MinuteCounts>{};
  }

  MinuteCounts rowAt(const std::string& source, Timestamp minute) {
    for (const MinuteCounts& c : rows(source))
      if (c.minute == minute) return c;
    ADD_FAILURE() << "no row for " << formatRfc3339(minute, 0);
    return {};
  }

  static uint64_t totalRequests(const std::vector<MinuteCounts>& rows) {
    return std::accumulate(rows.begin(), rows.end(), uint64_t{0},
                           [](uint64_t sum, const MinuteCounts& c) { return sum + c.requests; });
  }

  testing::TempDir dir;
  ManualClock clock{kMinute + 2min + 30s};
  std::optional<Database> db;
  Config config;
  boost::asio::io_context io;
  std::unique_ptr<Pipeline> pipeline;
};

TEST_F(PipelineMinutes, LiveLinesCountInTheirOwnMinuteAndAreWrittenAtStop) {
  const std::string log = config.sources[0].access_log;
  append(log, {});
  start();
  append(log, {{kMinute + 10s, 200},
               {kMinute + 20s, 502},
               {kMinute + 1min + 5s, 504},
               {kMinute + 30s, 200},  // late: back to its own minute
               {kMinute + 1min + 59s, 404}});
  ASSERT_TRUE(runUntil([&] { return parsed() == 5; })) << parsed();
  stop();

  const MinuteCounts first = rowAt("web", kMinute);
  EXPECT_EQ(first.requests, 3u);
  EXPECT_EQ(first.failures, 1u);
  EXPECT_EQ(first.s502, 1u);
  EXPECT_EQ(first.s2xx, 2u);
  const MinuteCounts second = rowAt("web", kMinute + 1min);
  EXPECT_EQ(second.requests, 2u);
  EXPECT_EQ(second.s504, 1u);
  EXPECT_EQ(second.s4xx, 1u);
  // The clock's minute: followed, no line stamped in it.
  const MinuteCounts now = rowAt("web", kMinute + 2min);
  EXPECT_EQ(now.requests, 0u);
  EXPECT_EQ(rows("web").size(), 3u);
}

TEST_F(PipelineMinutes, RestartReadsTheRecentPastAgainWithoutCountingItTwice) {
  const std::string log = config.sources[0].access_log;
  append(log, {});
  start();
  append(log, {{kMinute + 10s, 200}, {kMinute + 40s, 502}, {kMinute + 1min + 1s, 200}});
  ASSERT_TRUE(runUntil([&] { return parsed() == 3; }));
  stop();

  // Written while the daemon was down, read from the checkpoint on.
  append(log, {{kMinute + 1min + 30s, 503}, {kMinute + 2min + 10s, 200}});
  clock.set(kMinute + 3min);
  start();  // warm-up reads the first three lines again (they are within the rules' span)
  ASSERT_TRUE(runUntil([&] { return parsed() == 2; }));
  stop();

  EXPECT_EQ(rowAt("web", kMinute).requests, 2u);
  EXPECT_EQ(rowAt("web", kMinute + 1min).requests, 2u);
  EXPECT_EQ(rowAt("web", kMinute + 1min).s503, 1u);
  EXPECT_EQ(rowAt("web", kMinute + 2min).requests, 1u);
  EXPECT_EQ(totalRequests(rows("web")), 5u) << "every line counted once";
}

TEST_F(PipelineMinutes, FirstStartFillsMinutesFromWhatTheLogAlreadyHolds) {
  const std::string log = config.sources[0].access_log;
  append(log, {{kMinute + 5s, 200}, {kMinute + 6s, 502}, {kMinute + 1min + 7s, 200}});
  start();  // start_at end: no checkpoint, the file's recent past is warm-up
  EXPECT_EQ(rowAt("web", kMinute).requests, 2u) << "written before following starts";
  EXPECT_EQ(rowAt("web", kMinute).failures, 1u);
  stop();
  start();  // the same lines are warm-up again: their minutes have rows, nothing is added
  stop();
  EXPECT_EQ(rowAt("web", kMinute).requests, 2u);
  EXPECT_EQ(rowAt("web", kMinute + 1min).requests, 1u);
}

TEST_F(PipelineMinutes, QuietFollowedMinutesGetZeroRowsAndUnwatchedOnesNone) {
  config.sources.push_back(sourceNamed("missing"));  // its log never appears
  append(config.sources[0].access_log, {});
  clock.set(kMinute + 5s);
  start();
  ASSERT_TRUE(tickAt(kMinute + 6s));
  ASSERT_TRUE(tickAt(kMinute + 1min + 5s));
  ASSERT_TRUE(tickAt(kMinute + 3min + 5s));  // no tick in minute 2: as if the daemon had stopped
  stop();

  const auto web = rows("web");
  ASSERT_EQ(web.size(), 3u);
  EXPECT_EQ(web[0].minute, kMinute);
  EXPECT_EQ(web[1].minute, kMinute + 1min);
  EXPECT_EQ(web[2].minute, kMinute + 3min);
  EXPECT_EQ(totalRequests(web), 0u);
  EXPECT_TRUE(rows("missing").empty()) << "a log that cannot be read is not watched";
}

TEST_F(PipelineMinutes, MinutesOlderThanTheRetentionArePruned) {
  config.minutes_retention = 24h * 7;
  MinuteStore store(*db);
  MinuteCounts old_row, kept_row;
  old_row.minute = kMinute - 24h * 8;
  old_row.requests = 5;
  kept_row.minute = kMinute - 24h * 6;
  kept_row.requests = 7;
  const std::vector<SourceMinutes> seed = {{"web", old_row}, {"web", kept_row}};
  ASSERT_TRUE(store.add(seed));
  append(config.sources[0].access_log, {});
  start();
  ASSERT_TRUE(tickAt(clock.now() + 1s));  // the first tick prunes
  stop();
  const auto web = rows("web");
  ASSERT_FALSE(web.empty());
  EXPECT_EQ(web.front(), kept_row);
  for (const MinuteCounts& c : web) EXPECT_NE(c.minute, old_row.minute);
}

TEST_F(PipelineMinutes, ReloadWritesTheCountsOfARemovedSourceAndKeepsCounting) {
  config.sources.push_back(sourceNamed("api"));
  const std::string web_log = config.sources[0].access_log;
  const std::string api_log = config.sources[1].access_log;
  append(web_log, {});
  append(api_log, {});
  start();
  append(web_log, {{kMinute + 1s, 200}});
  append(api_log, {{kMinute + 2s, 502}, {kMinute + 3s, 502}});
  ASSERT_TRUE(runUntil([&] { return parsed(0) == 1 && parsed(1) == 2; }));

  Config next = config;
  next.sources.pop_back();  // api goes
  const ReloadReport report = pipeline->reload(next);
  EXPECT_EQ(report.sources_removed, std::vector<std::string>{"api"});
  EXPECT_EQ(rowAt("api", kMinute).requests, 2u) << "written at the reload, not lost";
  append(web_log, {{kMinute + 4s, 200}});
  // web is unchanged: its figures carry on from before the reload.
  ASSERT_TRUE(runUntil([&] { return parsed(0) == 2; })) << parsed(0);
  stop();
  EXPECT_EQ(rowAt("web", kMinute).requests, 2u);
  EXPECT_EQ(rowAt("api", kMinute).requests, 2u);
}

}  // namespace
}  // namespace gw
