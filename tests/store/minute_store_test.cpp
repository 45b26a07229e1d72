// MinuteStore on a real state database: deltas summed into their minute in one transaction,
// warm-up fills that never overwrite, reads by span, the source list with its 24 h totals,
// retention, and migration 3 on a database written at schema version 2.
#include "store/minute_store.h"

#include <gtest/gtest.h>

#include <limits>

#include "../common/temp_dir.h"
#include "store/history_store.h"
#include "store/state_db.h"
#include "store/statements.h"

namespace gw {
namespace {

using namespace std::chrono_literals;

// 2022-11-16T11:26:00Z, a minute's first millisecond.
constexpr Timestamp kMinute{Millis{1'668'597'960'000}};

MinuteCounts counts(Timestamp minute, uint64_t requests, uint64_t s502 = 0) {
  MinuteCounts c;
  c.minute = minute;
  c.requests = requests;
  c.s2xx = requests - s502;
  c.s5xx = s502;
  c.s502 = s502;
  c.failures = s502;
  return c;
}

class MinuteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = openStateDatabase(dir.path().string(), kMinute);
    ASSERT_TRUE(opened) << opened.error().message;
    db.emplace(std::move(opened->db));
    store.emplace(*db);
  }
  std::vector<MinuteCounts> read(const std::string& source, Timestamp from, Timestamp to) {
    auto rows = store->read(source, from, to);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<MinuteCounts>{};
  }

  testing::TempDir dir;
  std::optional<Database> db;
  std::optional<MinuteStore> store;
};

TEST_F(MinuteStoreTest, AddSumsDeltasIntoTheirMinute) {
  const std::vector<SourceMinutes> first = {{"web", counts(kMinute, 10, 2)},
                                            {"web", counts(kMinute + 1min, 4)}};
  ASSERT_TRUE(store->add(first));
  // The same minute twice in one batch, and again in the next: every delta adds.
  const std::vector<SourceMinutes> second = {{"web", counts(kMinute, 5, 1)},
                                             {"web", counts(kMinute, 1)}};
  ASSERT_TRUE(store->add(second));
  const auto rows = read("web", kMinute, kMinute + 2min);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], counts(kMinute, 16, 3));
  EXPECT_EQ(rows[1], counts(kMinute + 1min, 4));
}

TEST_F(MinuteStoreTest, AMinuteIsKeyedByItsFirstMillisecond) {
  const std::vector<SourceMinutes> rows = {{"web", counts(kMinute + 59'999ms, 1)},
                                           {"web", counts(kMinute + 1ms, 1)}};
  ASSERT_TRUE(store->add(rows));
  const auto read_back = read("web", kMinute, kMinute + 1min);
  ASSERT_EQ(read_back.size(), 1u);
  EXPECT_EQ(read_back[0], counts(kMinute, 2));
}

TEST_F(MinuteStoreTest, ABatchIsWrittenWholeOrNotAtAll) {
  // A row the database refuses half-way through the batch.
  ASSERT_TRUE(db->exec(R"(CREATE TRIGGER refuse BEFORE INSERT ON minutes
                          WHEN NEW.source = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END)"));
  const std::vector<SourceMinutes> batch = {{"web", counts(kMinute, 3)},
                                            {"poison", counts(kMinute, 1)}};
  auto added = store->add(batch);
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().message.find("refused"), std::string::npos) << added.error().message;
  EXPECT_TRUE(read("web", kMinute, kMinute + 1min).empty()) << "rolled back with the batch";
  const std::vector<SourceMinutes> retry = {{"web", counts(kMinute, 3)}};
  ASSERT_TRUE(store->add(retry)) << "the connection is usable after the rollback";
  EXPECT_EQ(read("web", kMinute, kMinute + 1min).size(), 1u);
}

TEST_F(MinuteStoreTest, FillMissingLeavesMinutesThatHaveARowAlone) {
  const std::vector<SourceMinutes> live = {{"web", counts(kMinute, 7)},
                                           {"web", counts(kMinute + 2min, 0)}};  // a zero row
  ASSERT_TRUE(store->add(live));
  const std::vector<SourceMinutes> warmup = {{"web", counts(kMinute, 7)},
                                             {"web", counts(kMinute + 1min, 3)},
                                             {"web", counts(kMinute + 2min, 9)}};
  ASSERT_TRUE(store->fillMissing(warmup));
  const auto rows = read("web", kMinute, kMinute + 3min);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], counts(kMinute, 7)) << "counted live before the restart: not twice";
  EXPECT_EQ(rows[1], counts(kMinute + 1min, 3)) << "no row yet: filled";
  EXPECT_EQ(rows[2], counts(kMinute + 2min, 0)) << "a row, even a zero one, is kept";
}

TEST_F(MinuteStoreTest, ReadReturnsTheSourcesMinutesOfTheSpanInOrder) {
  const std::vector<SourceMinutes> rows = {
      {"web", counts(kMinute + 2min, 3)}, {"web", counts(kMinute, 1)},
      {"web", counts(kMinute + 1min, 2)}, {"web", counts(kMinute + 3min, 4)},
      {"api", counts(kMinute + 1min, 9)}, {"web-2", counts(kMinute + 1min, 8)}};
  ASSERT_TRUE(store->add(rows));
  const auto span = read("web", kMinute + 1min, kMinute + 3min);  // [from, to)
  ASSERT_EQ(span.size(), 2u);
  EXPECT_EQ(span[0], counts(kMinute + 1min, 2));
  EXPECT_EQ(span[1], counts(kMinute + 2min, 3));
  EXPECT_TRUE(read("nobody", kMinute, kMinute + 1h).empty());
  EXPECT_TRUE(read("web", kMinute + 1h, kMinute).empty()) << "from after to: nothing";
  EXPECT_TRUE(read("web", kMinute, kMinute).empty()) << "an empty span: nothing";
}

TEST_F(MinuteStoreTest, ASpanLongerThanTheMaximumIsCutFromItsStart) {
  const std::vector<SourceMinutes> rows = {{"web", counts(kMinute, 1)},
                                           {"web", counts(kMinute + kMaxMinuteSpan - 1min, 2)},
                                           {"web", counts(kMinute + kMaxMinuteSpan, 3)}};
  ASSERT_TRUE(store->add(rows));
  const auto read_back = read("web", kMinute, kMinute + kMaxMinuteSpan + 1h);
  ASSERT_EQ(read_back.size(), 2u);
  EXPECT_EQ(read_back.back(), counts(kMinute + kMaxMinuteSpan - 1min, 2));
}

TEST_F(MinuteStoreTest, CountsKeepAllSixtyFourBits) {
  MinuteCounts big = counts(kMinute, std::numeric_limits<uint64_t>::max());
  big.s504 = (uint64_t{1} << 63) + 5;
  const std::vector<SourceMinutes> rows = {{"web", big}};
  ASSERT_TRUE(store->add(rows));
  const auto read_back = read("web", kMinute, kMinute + 1min);
  ASSERT_EQ(read_back.size(), 1u);
  EXPECT_EQ(read_back[0], big);
}

TEST_F(MinuteStoreTest, SourcesListsEveryNameWithItsSpanAndLastDayTotals) {
  const Timestamp now = kMinute + 30s;
  const std::vector<SourceMinutes> rows = {
      {"web", counts(now - 48h, 100, 50)},  // older than a day: in the span, not the totals
      {"web", counts(now - 23h, 10, 1)},
      {"web", counts(kMinute, 5, 2)},  // the minute `now` falls in
      {"api", counts(kMinute - 10min, 0)},
      {"ünïcode name", counts(kMinute - 1min, 1)}};
  ASSERT_TRUE(store->add(rows));
  auto listed = store->sources(now);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].source, "api");
  EXPECT_EQ((*listed)[0].requests_24h, 0u);
  EXPECT_EQ((*listed)[1].source, "web");
  EXPECT_EQ((*listed)[1].first_minute, std::chrono::floor<std::chrono::minutes>(now - 48h));
  EXPECT_EQ((*listed)[1].last_minute, kMinute);
  EXPECT_EQ((*listed)[1].requests_24h, 15u);
  EXPECT_EQ((*listed)[1].failures_24h, 3u);
  EXPECT_EQ((*listed)[2].source, "ünïcode name");
  EXPECT_EQ((*listed)[2].requests_24h, 1u);
}

TEST_F(MinuteStoreTest, SourcesOfAnEmptyTableIsEmpty) {
  auto listed = store->sources(kMinute);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_TRUE(listed->empty());
}

TEST_F(MinuteStoreTest, PruneDeletesOnlyOlderMinutesOfEverySourceAndSaysHowMany) {
  const std::vector<SourceMinutes> rows = {{"a", counts(kMinute - 2min, 1)},
                                           {"a", counts(kMinute - 1min, 1)},
                                           {"a", counts(kMinute, 1)},
                                           {"b", counts(kMinute - 5min, 1)},
                                           {"c", counts(kMinute + 1min, 1)}};
  ASSERT_TRUE(store->add(rows));
  auto pruned = store->pruneBefore(kMinute - 1min);
  ASSERT_TRUE(pruned) << pruned.error().message;
  EXPECT_EQ(*pruned, 2u);
  EXPECT_EQ(read("a", kMinute - 1h, kMinute + 1h).size(), 2u);
  EXPECT_TRUE(read("b", kMinute - 1h, kMinute + 1h).empty());
  EXPECT_EQ(read("c", kMinute - 1h, kMinute + 1h).size(), 1u);
  auto again = store->pruneBefore(kMinute - 1min);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
}

TEST(MinuteStoreWithoutTable, QueriesSayWhatIsMissing) {
  testing::TempDir dir;
  auto db = Database::open(dir.file("bare.db"));
  ASSERT_TRUE(db);
  MinuteStore store(*db);
  auto read = store.read("web", kMinute, kMinute + 1min);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("minutes"), std::string::npos) << read.error().message;
  const std::vector<SourceMinutes> rows = {{"web", counts(kMinute, 1)}};
  EXPECT_FALSE(store.add(rows));
  EXPECT_FALSE(store.sources(kMinute));
  EXPECT_FALSE(store.pruneBefore(kMinute));
}

// Writes a database exactly as schema version 2 left it, holding one incident.
void writeVersion2Database(const std::string& path) {
  auto db = Database::open(path);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec(sql::kMigrations[0].sql));
  ASSERT_TRUE(db->exec(sql::kMigrations[1].sql));
  ASSERT_TRUE(db->exec("PRAGMA user_version = 2; PRAGMA application_id = " +
                       std::to_string(sql::kApplicationId)));
  // Raw SQL in version 2's columns: today's statements name columns added since.
  ASSERT_TRUE(db->exec(
      "INSERT INTO incidents (id, rule, rule_kind, severity, source, group_json, hostname, "
      "started_ms, fired_ms, resolved_ms, utc_offset_minutes, last_event, updated_ms, "
      "peak_requests, peak_errors, peak_ratio, summary, alert_json, test) VALUES ('inc-1', "
      "'upstream-down', 'consecutive', 'critical', 'web', '{\"source\":\"web\"}', '', " +
      std::to_string(kMinute.time_since_epoch().count()) + ", " +
      std::to_string((kMinute + 20s).time_since_epoch().count()) + ", NULL, 0, 'firing', " +
      std::to_string((kMinute + 20s).time_since_epoch().count()) + ", 0, 0, 0, '', '{}', 0)"));
}

TEST(StateDbMigration, Version2DatabaseKeepsItsHistoryAndGainsMinutes) {
  testing::TempDir dir;
  writeVersion2Database(dir.file(kStateDbFileName));
  if (::testing::Test::HasFatalFailure()) return;

  auto opened = openStateDatabase(dir.path().string(), kMinute);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->fresh);
  EXPECT_TRUE(opened->moved_aside.empty()) << "a version-2 file is ours, not damage";
  EXPECT_EQ(opened->db.queryInt(sql::kUserVersion).value(), sql::kSchemaVersion);
  EXPECT_GE(sql::kSchemaVersion, 3);

  auto history = HistoryStore::open(opened->db);
  ASSERT_TRUE(history) << history.error().message;
  auto found = history->incident("inc-1");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value()) << "the incident survives the migration";
  EXPECT_EQ((*found)->incident.rule, "upstream-down");

  MinuteStore minutes(opened->db);
  const std::vector<SourceMinutes> rows = {{"web", counts(kMinute, 3)}};
  ASSERT_TRUE(minutes.add(rows));
  auto listed = minutes.sources(kMinute);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().requests_24h, 3u);
}

}  // namespace
}  // namespace gw
