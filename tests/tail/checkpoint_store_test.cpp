// The state database and the checkpoint store: migration, reload, damaged or foreign files moved
// aside, a full disk that keeps rows staged until a commit succeeds.
#include "store/checkpoint_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/state_db.h"
#include "store/statements.h"

namespace gw {
namespace {

namespace fs = std::filesystem;

class StateDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gw-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string dbPath() const { return dir_ + "/" + kStateDbFileName; }
  Timestamp now() const { return Timestamp{Millis{1'700'000'000'000}}; }
  std::vector<std::string> asideFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (name.find(".corrupt-") != std::string::npos) out.push_back(name);
    }
    return out;
  }

  std::string dir_;
};

Checkpoint row(uint64_t inode, uint64_t offset) {
  Checkpoint cp;
  cp.source = "edge/access_log";
  cp.dev = 2049;
  cp.inode = inode;
  cp.path = "/var/log/nginx/access.log";
  cp.offset = offset;
  cp.size = offset + 10;
  cp.head_len = 256;
  cp.head_hash = 0xfedcba9876543210ULL;  // above INT64_MAX: stored bit for bit
  cp.marker_len = 64;
  cp.marker_hash = 42;
  cp.skip_line = true;
  cp.state = CheckpointState::kRotated;
  cp.updated_ms = 1'700'000'000'123;
  return cp;
}

TEST_F(StateDbTest, FreshDatabaseIsMigratedToTheLatestSchema) {
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->fresh);
  EXPECT_TRUE(opened->moved_aside.empty());
  EXPECT_EQ(opened->db.queryInt(sql::kUserVersion).value(), sql::kSchemaVersion);
  EXPECT_EQ(opened->db.queryInt(sql::kApplicationIdQuery).value(), sql::kApplicationId);
  auto mode = opened->db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(mode->step().value());
  EXPECT_EQ(mode->columnText(0), "wal");
}

TEST_F(StateDbTest, MissingStateDirectoryIsCreated) {
  auto opened = openStateDatabase(dir_ + "/a/b", now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(fs::exists(dir_ + "/a/b/gatewatch.db"));
}

TEST_F(StateDbTest, StateDirectoryThatCannotBeCreatedIsAClearError) {
  std::ofstream(dir_ + "/plainfile") << "x";
  auto opened = openStateDatabase(dir_ + "/plainfile/sub", now());
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("state directory"), std::string::npos)
      << opened.error().message;
}

TEST_F(StateDbTest, CommittedCheckpointsReloadAfterReopening) {
  {
    auto opened = openStateDatabase(dir_, now());
    ASSERT_TRUE(opened);
    auto store = CheckpointStore::create(opened->db);
    ASSERT_TRUE(store);
    store->stage(row(7, 900));
    store->stage(row(8, 100));
    store->stage(row(8, 200));  // replaces the staged row of the same file
    EXPECT_EQ(store->staged(), 2u);
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(store->staged(), 0u);
  }
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened);
  EXPECT_FALSE(opened->fresh);
  auto store = CheckpointStore::create(opened->db);
  ASSERT_TRUE(store);
  auto rows = store->load("edge/access_log");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], row(7, 900));
  EXPECT_EQ((*rows)[1], row(8, 200));
  EXPECT_TRUE(store->load("other/access_log")->empty());

  store->stageErase("edge/access_log", 2049, 7);
  ASSERT_TRUE(store->commit());
  rows = store->load("edge/access_log");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].inode, 8u);
}

TEST_F(StateDbTest, GarbageFileIsMovedAsideAndAFreshDatabaseStarted) {
  std::ofstream(dbPath()) << std::string(8192, 'G');
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_TRUE(opened->fresh);
  EXPECT_EQ(opened->moved_aside, dbPath() + ".corrupt-20231114T221320Z");
  EXPECT_TRUE(fs::exists(opened->moved_aside));
  auto store = CheckpointStore::create(opened->db);
  ASSERT_TRUE(store);
  store->stage(row(7, 1));
  EXPECT_TRUE(store->commit());
}

TEST_F(StateDbTest, ForeignSqliteDatabaseIsMovedAside) {
  {
    auto db = Database::open(dbPath());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)"));
  }
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->moved_aside.empty());
  EXPECT_EQ(asideFiles().size(), 1u);
  EXPECT_EQ(opened->db.queryInt(sql::kApplicationIdQuery).value(), sql::kApplicationId);
}

TEST_F(StateDbTest, DatabaseOfANewerGatewatchIsMovedAsideNotMisread) {
  {
    auto db = Database::open(dbPath());
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("PRAGMA application_id = " + std::to_string(sql::kApplicationId) +
                         "; PRAGMA user_version = 999; CREATE TABLE future (x)"));
  }
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->moved_aside.empty());
  EXPECT_EQ(opened->db.queryInt(sql::kUserVersion).value(), sql::kSchemaVersion);
}

TEST_F(StateDbTest, DamagedPagesAreMovedAside) {
  {
    auto opened = openStateDatabase(dir_, now());
    ASSERT_TRUE(opened);
    auto store = CheckpointStore::create(opened->db);
    ASSERT_TRUE(store);
    for (uint64_t i = 0; i < 2000; ++i) store->stage(row(i, i));
    ASSERT_TRUE(store->commit());
    ASSERT_TRUE(opened->db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  // Overwrite the middle of the file (b-tree pages), keep the header.
  const auto size = fs::file_size(dbPath());
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream f(dbPath(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 100);
    const std::string junk(2 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_FALSE(opened->moved_aside.empty());
  EXPECT_TRUE(opened->fresh);
  auto store = CheckpointStore::create(opened->db);
  EXPECT_TRUE(store->load("edge/access_log")->empty());
}

TEST_F(StateDbTest, FullDiskKeepsRowsStagedUntilACommitSucceeds) {
  auto opened = openStateDatabase(dir_, now());
  ASSERT_TRUE(opened);
  auto store = CheckpointStore::create(opened->db);
  ASSERT_TRUE(store);
  // No room for a single new page: what SQLite reports on a full disk.
  const int64_t pages = opened->db.queryInt("PRAGMA page_count").value();
  ASSERT_TRUE(opened->db.exec("PRAGMA max_page_count = " + std::to_string(pages)));
  for (uint64_t i = 0; i < 500; ++i) store->stage(row(i, i));
  auto r = store->commit();
  ASSERT_FALSE(r);
  EXPECT_EQ(store->lastErrorKind(), DbErrorKind::kFull) << r.error().message;
  EXPECT_EQ(store->staged(), 500u);

  ASSERT_TRUE(opened->db.exec("PRAGMA max_page_count = 1000000"));
  ASSERT_TRUE(store->commit());
  EXPECT_EQ(store->staged(), 0u);
  EXPECT_EQ(store->load("edge/access_log")->size(), 500u);
}

}  // namespace
}  // namespace gw
