// Migration 2 (outbox and history) on a database written by a gatewatch that knew only
// checkpoints: the checkpoints survive, the new tables appear.
#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "store/checkpoint_store.h"
#include "store/history_store.h"
#include "store/outbox_store.h"
#include "store/state_db.h"
#include "store/statements.h"

namespace gw {
namespace {

constexpr Timestamp kNow{Millis{1'700'000'000'000}};

// Writes a database exactly as schema version 1 left it, holding one checkpoint.
void writeVersion1Database(const std::string& path) {
  auto db = Database::open(path);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec(sql::kMigrations[0].sql));
  ASSERT_TRUE(db->exec("PRAGMA user_version = 1; PRAGMA application_id = " +
                       std::to_string(sql::kApplicationId)));
  auto store = CheckpointStore::create(*db);
  ASSERT_TRUE(store) << store.error().message;
  Checkpoint cp;
  cp.source = "edge/access_log";
  cp.dev = 2049;
  cp.inode = 77;
  cp.path = "/var/log/nginx/access.log";
  cp.offset = 123456;
  cp.size = 123500;
  cp.head_len = 256;
  cp.head_hash = 0xfedcba9876543210ULL;
  cp.marker_len = 64;
  cp.marker_hash = 42;
  cp.state = CheckpointState::kLive;
  cp.updated_ms = 1'699'999'999'000;
  store->stage(cp);
  ASSERT_TRUE(store->commit());
}

TEST(StateDbMigration, Version1DatabaseKeepsItsCheckpointsAndGainsOutboxAndHistory) {
  testing::TempDir dir;
  const std::string path = dir.file(kStateDbFileName);
  writeVersion1Database(path);
  if (::testing::Test::HasFatalFailure()) return;

  auto opened = openStateDatabase(dir.path().string(), kNow);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->fresh);
  EXPECT_TRUE(opened->moved_aside.empty()) << "a version-1 file is ours, not damage";
  EXPECT_EQ(opened->db.queryInt(sql::kUserVersion).value(), sql::kSchemaVersion);

  auto checkpoints = CheckpointStore::create(opened->db);
  ASSERT_TRUE(checkpoints);
  auto rows = checkpoints->load("edge/access_log");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().inode, 77u);
  EXPECT_EQ(rows->front().offset, 123456u);
  EXPECT_EQ(rows->front().head_hash, 0xfedcba9876543210ULL);

  auto outbox = OutboxStore::open(opened->db);
  ASSERT_TRUE(outbox) << outbox.error().message;
  EXPECT_EQ(outbox->count().value(), 0);
  auto history = HistoryStore::open(opened->db);
  ASSERT_TRUE(history) << history.error().message;
  EXPECT_TRUE(history->openIncidents().value().empty());
}

TEST(StateDbMigration, MigratingTwiceChangesNothing) {
  testing::TempDir dir;
  {
    auto opened = openStateDatabase(dir.path().string(), kNow);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_TRUE(opened->fresh);
    auto outbox = OutboxStore::open(opened->db);
    ASSERT_TRUE(outbox);
    OutboxEntry entry;
    entry.sink = "ops";
    entry.incident_id = "i1";
    entry.event = "firing";
    ASSERT_TRUE(outbox->add(entry));
  }
  auto again = openStateDatabase(dir.path().string(), kNow);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->fresh);
  EXPECT_EQ(again->db.queryInt(sql::kUserVersion).value(), sql::kSchemaVersion);
  ASSERT_TRUE(migrate(again->db));
  auto outbox = OutboxStore::open(again->db);
  ASSERT_TRUE(outbox);
  EXPECT_EQ(outbox->count().value(), 1);
}

TEST(StateDbMigration, StoresRefuseADatabaseWithoutTheirTables) {
  testing::TempDir dir;
  auto db = Database::open(dir.file("bare.db"));
  ASSERT_TRUE(db);
  auto outbox = OutboxStore::open(*db);
  ASSERT_FALSE(outbox);
  EXPECT_NE(outbox.error().message.find("outbox"), std::string::npos) << outbox.error().message;
  auto history = HistoryStore::open(*db);
  ASSERT_FALSE(history);
  EXPECT_NE(history.error().message.find("incidents"), std::string::npos)
      << history.error().message;
}

}  // namespace
}  // namespace gw
