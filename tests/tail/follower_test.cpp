// The follower on real files with real inotify, in-process: every test writes, then runs the
// io_context until a marker line arrives (bounded by a timeout), never sleeps.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"
#include "store/checkpoint_store.h"
#include "store/state_db.h"
#include "tail/tail_service.h"

namespace gw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Delivered {
  std::size_t source;
  std::string path;
  FileId file;
  uint64_t end_offset;
  std::string text;
  bool cut;
};

class RecordingConsumer final : public LineConsumer {
 public:
  void onLine(const Line& line) override {
    lines.push_back({line.source, std::string(line.path), line.file, line.end_offset,
                     std::string(line.text), line.cut});
  }
  void onBatchEnd() override { ++batches; }

  bool has(std::string_view text) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const Delivered& d) { return d.text == text; });
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& d : lines) out.push_back(d.text);
    return out;
  }
  // The texts delivered from one file (by identity: its name may change on the way).
  std::vector<std::string> textsOf(FileId file) const {
    std::vector<std::string> out;
    for (const auto& d : lines) {
      if (d.file == file) out.push_back(d.text);
    }
    return out;
  }
  // The texts delivered from files whose path ends with `suffix`.
  std::vector<std::string> textsFrom(std::string_view suffix) const {
    std::vector<std::string> out;
    for (const auto& d : lines) {
      if (std::string_view(d.path).ends_with(suffix)) out.push_back(d.text);
    }
    return out;
  }
  std::vector<Delivered> lines;
  int batches = 0;
};

// Settings that keep tests fast: a rotated file closes after 200ms of quiet.
TailConfig fastConfig() {
  TailConfig c;
  c.rotate_grace = 200ms;
  c.safety_check = 10s;  // long: tests must pass on inotify alone
  c.checkpoint_interval = 50ms;
  c.checkpoint_lines = 100'000;
  c.max_line_bytes = 64 * 1024;
  return c;
}

void append(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

std::string numbered(std::string_view prefix, int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out += std::string(prefix) + std::to_string(i) + "\n";
  return out;
}

std::vector<std::string> numberedList(std::string_view prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(std::string(prefix) + std::to_string(i));
  return out;
}

FileId idOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return {st.st_dev, st.st_ino};
}

void gzipFile(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gzFile gz = gzopen(to.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(gz);
  fs::remove(from);
}

class FollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gw-follower-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    logs_ = root_ + "/logs";
    state_ = root_ + "/state";
    fs::create_directories(logs_);
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    db_.reset();
    fs::remove_all(root_);
  }

  std::string log(std::string_view name) const { return logs_ + "/" + std::string(name); }

  void start(std::vector<TailSource> sources, TailConfig config = fastConfig(),
             std::unique_ptr<FileWatcher> watcher = nullptr) {
    auto opened = openStateDatabase(state_, clock_.now());
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::make_unique<Database>(std::move(opened->db));
    auto store = CheckpointStore::create(*db_);
    ASSERT_TRUE(store);
    store_ = std::make_unique<CheckpointStore>(std::move(*store));
    io_.restart();
    service_ = std::make_unique<TailService>(io_, config, std::move(sources), store_.get(),
                                             consumer_, clock_, std::move(watcher));
    bool ready = false;
    service_->onCaughtUp([&ready] { ready = true; });
    service_->start();
    ASSERT_TRUE(runUntil([&] { return ready; })) << "never caught up";
  }
  void startOne(const std::string& path, StartAt at = StartAt::kBeginning,
                TailConfig config = fastConfig()) {
    start({TailSource{path, path, at}}, config);
  }

  // A clean stop: checkpoints committed.
  void stop() {
    service_->stop();
    io_.poll();
    service_.reset();
    store_.reset();
    db_.reset();
  }
  // A crash: nothing committed beyond what was already.
  void crash() {
    service_.reset();
    store_.reset();
    db_.reset();
  }

  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(5ms);  // returns as soon as the io_context has nothing left to do
      if (io_.stopped()) io_.restart();
    }
    return true;
  }
  // Barrier: append a marker line and run until it is delivered.
  void barrier(const std::string& path, const std::string& marker) {
    append(path, marker + "\n");
    ASSERT_TRUE(runUntil([&] { return consumer_.has(marker); })) << "marker " << marker;
  }
  TailCounters counters() const { return service_->counters(); }

  std::string root_, logs_, state_;
  boost::asio::io_context io_;
  SystemClock clock_;
  RecordingConsumer consumer_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<TailService> service_;
};

TEST_F(FollowerTest, RenamedFileIsDrainedBeforeSwitching) {
  const std::string path = log("access.log");
  append(path, numbered("old ", 0, 3));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 3; }));

  // logrotate `create`: rename, create; nginx still writes to the renamed file until USR1.
  const FileId old_file = idOf(path);
  fs::rename(path, path + ".1");
  append(path, "new 0\n");
  const FileId new_file = idOf(path);
  append(path + ".1", "late 0\n");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("late 0") && consumer_.has("new 0"); }));
  append(path + ".1", "late 1\n");
  barrier(path, "new 1");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("late 1"); }));

  EXPECT_EQ(consumer_.textsOf(old_file),
            (std::vector<std::string>{"old 0", "old 1", "old 2", "late 0", "late 1"}));
  EXPECT_EQ(consumer_.textsOf(new_file), (std::vector<std::string>{"new 0", "new 1"}));
  EXPECT_EQ(counters().rotations, 1u);
  // Closed only after rotate_grace of quiet, never before its bytes were read.
  ASSERT_TRUE(runUntil([&] { return counters().files_closed == 1; }));
  EXPECT_EQ(service_->follower(0).openFiles(), 1u);
  EXPECT_EQ(consumer_.lines.size(), 7u);
}

TEST_F(FollowerTest, CopytruncateRestartsAtZeroOfTheSameInode) {
  const std::string path = log("access.log");
  append(path, numbered("before ", 0, 50));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 50; }));
  fs::copy_file(path, path + ".1");
  fs::resize_file(path, 0);
  append(path, "after 0\n");
  barrier(path, "after 1");
  EXPECT_EQ(counters().truncations, 1u);
  EXPECT_EQ(counters().bytes_lost_to_truncation, 0u);
  auto expected = numberedList("before ", 0, 50);
  expected.push_back("after 0");
  expected.push_back("after 1");
  EXPECT_EQ(consumer_.texts(), expected);
}

TEST_F(FollowerTest, TruncatedAndRegrownPastTheOldOffsetIsCaughtByTheMarker) {
  const std::string path = log("access.log");
  append(path, numbered("first ", 0, 20));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 20; }));
  const auto old_size = fs::file_size(path);
  // Between two looks: truncated, then more bytes than before written from 0.
  {
    std::ofstream out(path, std::ios::trunc);
    out << numbered("second ", 0, 40);
  }
  ASSERT_GT(fs::file_size(path), old_size);
  barrier(path, "end");
  auto expected = numberedList("first ", 0, 20);
  for (auto& s : numberedList("second ", 0, 40)) expected.push_back(s);
  expected.push_back("end");
  EXPECT_EQ(consumer_.texts(), expected);
  EXPECT_EQ(counters().truncations, 1u);
}

TEST_F(FollowerTest, NulHoleFromAWriterWithoutAppendIsSkipped) {
  const std::string path = log("app.log");
  append(path, numbered("line ", 0, 10));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 10; }));
  const auto old_size = fs::file_size(path);
  fs::resize_file(path, 0);
  // The writer's own file position is still old_size: pwrite there leaves a hole of NULs.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string text = "after hole\n";
  ASSERT_EQ(::pwrite(fd, text.data(), text.size(), static_cast<off_t>(old_size)),
            static_cast<ssize_t>(text.size()));
  ::close(fd);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("after hole"); }));
  EXPECT_EQ(consumer_.lines.size(), 11u);
  EXPECT_EQ(counters().nul_bytes_skipped, old_size);
}

TEST_F(FollowerTest, DeletedAndRecreatedFileIsFollowedAgain) {
  const std::string path = log("access.log");
  append(path, "one\n");
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("one"); }));
  fs::remove(path);
  append(path, "two\n");
  barrier(path, "three");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"one", "two", "three"}));
  ASSERT_TRUE(runUntil([&] { return counters().files_closed == 1; }));
  EXPECT_EQ(service_->follower(0).openFiles(), 1u);
}

TEST_F(FollowerTest, PartialLineIsNeverJoinedAcrossARotation) {
  const std::string path = log("access.log");
  append(path, "whole\nhalf");
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("whole"); }));
  ASSERT_TRUE(runUntil([&] { return counters().bytes_read == 10; }));
  const FileId old_file = idOf(path);
  fs::rename(path, path + ".1");
  append(path, "new\n");
  const FileId new_file = idOf(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("new"); }));
  EXPECT_FALSE(consumer_.has("half"));  // held while its file may still grow
  // The renamed file closes after rotate_grace: its last bytes are delivered as they are.
  ASSERT_TRUE(runUntil([&] { return counters().files_closed == 1; }));
  EXPECT_EQ(consumer_.textsOf(old_file), (std::vector<std::string>{"whole", "half"}));
  EXPECT_EQ(consumer_.textsOf(new_file), (std::vector<std::string>{"new"}));
  EXPECT_EQ(counters().partial_lines_flushed, 1u);
}

TEST_F(FollowerTest, PartialLineAcrossARestartIsDeliveredWholeOnce) {
  const std::string path = log("access.log");
  append(path, "first\nsecond-ha");
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return counters().bytes_read == 15; }));
  stop();
  append(path, "lf\n");
  startOne(path);
  barrier(path, "third");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"first", "second-half", "third"}));
}

TEST_F(FollowerTest, OverlongLineIsCutCountedAndNotDeliveredAgainAfterARestart) {
  const std::string path = log("access.log");
  TailConfig config = fastConfig();
  config.max_line_bytes = 1024;
  append(path, std::string(5000, 'x') + "\nafter\n");
  startOne(path, StartAt::kBeginning, config);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("after"); }));
  ASSERT_EQ(consumer_.lines.size(), 2u);
  EXPECT_EQ(consumer_.lines[0].text, std::string(1024, 'x'));
  EXPECT_TRUE(consumer_.lines[0].cut);
  EXPECT_EQ(consumer_.lines[0].end_offset, 5001u);
  EXPECT_EQ(counters().lines_cut, 1u);
  // An overlong line still being written: its head now, its rest skipped when it ends.
  append(path, std::string(3000, 'y'));
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 3; }));
  stop();
  append(path, std::string(10, 'y') + "\n");
  startOne(path, StartAt::kBeginning, config);
  barrier(path, "end");
  ASSERT_EQ(consumer_.lines.size(), 4u);
  EXPECT_EQ(consumer_.lines[2].text, std::string(1024, 'y'));
  EXPECT_EQ(consumer_.lines[3].text, "end");
}

TEST_F(FollowerTest, TwoFilesWithIdenticalFirst2KiBAreKeptApart) {
  const std::string head = numbered("same header line ", 0, 120);  // > 2 KiB
  ASSERT_GT(head.size(), 2048u);
  append(log("a.log"), head + "only in a\n");
  append(log("b.log"), head + "only in b\n");
  start({TailSource{"glob", log("*.log"), StartAt::kBeginning}});
  ASSERT_TRUE(runUntil([&] { return consumer_.has("only in a") && consumer_.has("only in b"); }));
  EXPECT_EQ(consumer_.lines.size(), 242u);
  stop();
  append(log("a.log"), "a again\n");
  append(log("b.log"), "b again\n");
  consumer_.lines.clear();
  start({TailSource{"glob", log("*.log"), StartAt::kBeginning}});
  ASSERT_TRUE(runUntil([&] { return consumer_.has("a again") && consumer_.has("b again"); }));
  EXPECT_EQ(consumer_.textsFrom("a.log"), (std::vector<std::string>{"a again"}));
  EXPECT_EQ(consumer_.textsFrom("b.log"), (std::vector<std::string>{"b again"}));
}

TEST_F(FollowerTest, GlobPicksUpFilesAppearingLater) {
  append(log("a.log"), "a old\n");
  start({TailSource{"glob", log("*.log"), StartAt::kEnd}});
  EXPECT_TRUE(consumer_.lines.empty());  // start_at end on the first run
  append(log("b.log"), "b 0\n");         // a new file: read from its start
  append(log("ignored.txt"), "not matched\n");
  barrier(log("b.log"), "b 1");
  barrier(log("a.log"), "a new");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"b 0", "b 1", "a new"}));
}

TEST_F(FollowerTest, GlobMatchingRotatedNamesDoesNotReadARotatedFileAgain) {
  const std::string path = log("access.log");
  append(path, "one\n");
  start({TailSource{"glob", log("access.log*"), StartAt::kBeginning}});
  ASSERT_TRUE(runUntil([&] { return consumer_.has("one"); }));
  fs::rename(path, path + ".1");
  append(path, "two\n");
  barrier(path + ".1", "late");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("two"); }));
  // delaycompress: the next rotation compresses .1; a .gz is never followed live.
  fs::rename(path + ".1", path + ".2");
  gzipFile(path + ".2", path + ".2.gz");
  fs::rename(path, path + ".1");
  append(path, "three\n");
  barrier(path, "four");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"one", "late", "two", "three", "four"}));
}

TEST_F(FollowerTest, DirectoryCreatedLaterRemovedAndCreatedAgain) {
  const std::string dir = root_ + "/later/deeper";
  const std::string path = dir + "/access.log";
  startOne(path, StartAt::kEnd);
  fs::create_directories(dir);
  append(path, "first life\n");  // created after start: read from its start
  ASSERT_TRUE(runUntil([&] { return consumer_.has("first life"); }));
  fs::remove_all(root_ + "/later");
  ASSERT_TRUE(runUntil([&] { return counters().files_closed == 1; }));
  fs::create_directories(dir);
  append(path, "second life\n");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("second life"); }));
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"first life", "second life"}));
}

TEST_F(FollowerTest, ResumesAFileRotatedAndCompressedWhileStopped) {
  const std::string path = log("access.log");
  append(path, numbered("seen ", 0, 100));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 100; }));
  stop();
  consumer_.lines.clear();
  // While stopped: more lines, a rotation, compression, and the new file gets lines too.
  append(path, numbered("unseen ", 0, 10));
  fs::rename(path, path + ".1");
  gzipFile(path + ".1", path + ".1.gz");
  append(path, numbered("new ", 0, 5));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 15; }));
  auto expected = numberedList("unseen ", 0, 10);
  for (auto& s : numberedList("new ", 0, 5)) expected.push_back(s);
  EXPECT_EQ(consumer_.texts(), expected);  // the old file to its end before the new one
  EXPECT_EQ(counters().resumed_from_gzip, 1u);
  barrier(path, "live");
  EXPECT_EQ(consumer_.lines.size(), 16u);
}

TEST_F(FollowerTest, CopytruncateWhileStoppedResumesInTheCopy) {
  const std::string path = log("access.log");
  append(path, numbered("seen ", 0, 10));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 10; }));
  stop();
  consumer_.lines.clear();
  append(path, numbered("unseen ", 0, 5));
  fs::copy_file(path, path + ".1");
  fs::resize_file(path, 0);
  append(path, numbered("new ", 0, 3));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 8; }));
  auto expected = numberedList("unseen ", 0, 5);
  for (auto& s : numberedList("new ", 0, 3)) expected.push_back(s);
  EXPECT_EQ(consumer_.texts(), expected);
  barrier(path, "live");
  EXPECT_EQ(consumer_.lines.size(), 9u);
}

TEST_F(FollowerTest, ResumesAFileRotatedTwiceWhileStopped) {
  const std::string path = log("access.log");
  append(path, "seen\n");
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.has("seen"); }));
  stop();
  consumer_.lines.clear();
  append(path, "unseen in first\n");
  fs::rename(path, path + ".1");
  append(path, "whole second generation\n");
  fs::rename(path + ".1", path + ".2");
  fs::rename(path, path + ".1");
  append(path, "third\n");
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 3; }));
  EXPECT_EQ(consumer_.texts(),
            (std::vector<std::string>{"unseen in first", "whole second generation", "third"}));
  EXPECT_EQ(counters().resumed_from_rotated, 1u);
}

TEST_F(FollowerTest, GlobSourceRotatedTwiceWhileStoppedLosesNoGeneration) {
  const std::string path = log("site-access.log");
  const TailSource source{"glob", log("*access.log"), StartAt::kBeginning};
  append(path, "seen\n");
  start({source});
  ASSERT_TRUE(runUntil([&] { return consumer_.has("seen"); }));
  stop();
  consumer_.lines.clear();
  append(path, "unseen in first\n");
  fs::rename(path, path + ".1");
  append(path, "whole second generation\n");
  fs::rename(path + ".1", path + ".2");
  gzipFile(path + ".2", path + ".2.gz");
  fs::rename(path, path + ".1");
  append(path, "third\n");
  start({source});
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 3; }));
  barrier(path, "live");
  EXPECT_EQ(consumer_.textsFrom(".2.gz"), (std::vector<std::string>{"unseen in first"}));
  EXPECT_EQ(consumer_.textsFrom(".1"), (std::vector<std::string>{"whole second generation"}));
  EXPECT_EQ(consumer_.textsFrom("access.log"), (std::vector<std::string>{"third", "live"}));
}

TEST_F(FollowerTest, CompressedCopyOfAFileAlreadyReadIsNotReadAgain) {
  const std::string path = log("access.log");
  append(path, numbered("first generation ", 0, 5));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 5; }));
  fs::rename(path, path + ".1");
  append(path, "second 0\n");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("second 0") && counters().files_closed == 1; }));
  stop();
  consumer_.lines.clear();
  // While stopped: delaycompress compresses the first generation (this gzip does not keep the
  // mtime, so only the content tells it was read), the second is rotated with unread lines.
  append(path, "second 1\n");
  fs::rename(path + ".1", path + ".2");
  gzipFile(path + ".2", path + ".2.gz");
  fs::rename(path, path + ".1");
  append(path, "third 0\n");
  startOne(path);
  barrier(path, "third 1");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"second 1", "third 0", "third 1"}));
}

TEST_F(FollowerTest, RestartWhileGzipWritesTheCompressedCopyReadsNothingTwice) {
  const std::string path = log("access.log");
  append(path, numbered("line ", 0, 20));
  startOne(path);
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 20; }));
  fs::rename(path, path + ".1");
  append(path, "new 0\n");
  ASSERT_TRUE(runUntil([&] { return consumer_.has("new 0"); }));
  stop();
  consumer_.lines.clear();
  // delaycompress at work: access.log.1.gz written beside access.log.1, which is still there.
  {
    std::ifstream in(path + ".1", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile gz = gzopen((path + ".1.gz").c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size() / 2));  // half written so far
    gzclose(gz);
  }
  startOne(path);
  barrier(path, "new 1");
  fs::remove(path + ".1");
  barrier(path, "new 2");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"new 1", "new 2"}));
}

TEST_F(FollowerTest, StartAtEndAppliesOnlyWithoutACheckpoint) {
  const std::string path = log("access.log");
  append(path, "history\n");
  startOne(path, StartAt::kEnd);
  barrier(path, "live 1");
  stop();
  append(path, "while stopped\n");
  startOne(path, StartAt::kEnd);
  barrier(path, "live 2");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"live 1", "while stopped", "live 2"}));
}

TEST_F(FollowerTest, CrashRereadsAtMostTheLastUncommittedBatch) {
  const std::string path = log("access.log");
  TailConfig config = fastConfig();
  config.checkpoint_interval = 1h;  // commits only by count
  config.checkpoint_lines = 5;
  append(path, numbered("committed ", 0, 5));
  startOne(path, StartAt::kBeginning, config);
  ASSERT_TRUE(
      runUntil([&] { return counters().checkpoint_commits >= 1 && consumer_.lines.size() == 5; }));
  append(path, numbered("uncommitted ", 0, 3));
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 8; }));
  crash();
  consumer_.lines.clear();
  startOne(path, StartAt::kBeginning, config);
  barrier(path, "after");
  auto expected = numberedList("uncommitted ", 0, 3);
  expected.push_back("after");
  EXPECT_EQ(consumer_.texts(), expected);
}

TEST_F(FollowerTest, CleanStopDeliversExactlyOnce) {
  const std::string path = log("access.log");
  for (int round = 0; round < 5; ++round) {
    append(path, numbered("round " + std::to_string(round) + " line ", 0, 20));
    startOne(path);
    ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 20u * (round + 1); }));
    stop();
  }
  std::vector<std::string> expected;
  for (int round = 0; round < 5; ++round) {
    for (auto& s : numberedList("round " + std::to_string(round) + " line ", 0, 20)) {
      expected.push_back(s);
    }
  }
  EXPECT_EQ(consumer_.texts(), expected);
}

TEST_F(FollowerTest, CorruptStateDatabaseStartsFreshPerStartAt) {
  const std::string path = log("access.log");
  append(path, "history\n");
  fs::create_directories(state_);
  std::ofstream(state_ + "/gatewatch.db") << std::string(4096, '#');
  startOne(path, StartAt::kEnd);
  barrier(path, "live");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"live"}));
}

TEST_F(FollowerTest, FailingCheckpointCommitsKeepFollowingAndAreRetried) {
  const std::string path = log("access.log");
  startOne(path);
  barrier(path, "a");
  ASSERT_TRUE(runUntil([&] { return counters().checkpoint_commits >= 1; }));
  ASSERT_TRUE(db_->exec("PRAGMA query_only = ON"));  // what a read-only disk looks like
  barrier(path, "b");
  ASSERT_TRUE(runUntil([&] { return counters().error(TailErrorKind::kCheckpoint) >= 1; }));
  barrier(path, "c");  // following goes on
  const uint64_t commits = counters().checkpoint_commits;
  ASSERT_TRUE(db_->exec("PRAGMA query_only = OFF"));
  ASSERT_TRUE(runUntil([&] { return counters().checkpoint_commits > commits; }));
  EXPECT_EQ(service_->lag().size(), 1u);
  EXPECT_EQ(service_->lag()[0].lag_bytes, 0u);
  crash();
  consumer_.lines.clear();
  startOne(path);
  barrier(path, "d");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"d"}));
}

TEST_F(FollowerTest, BusyFileDoesNotStarveAQuietOne) {
  const std::string busy = log("busy.log");
  const std::string quiet = log("quiet.log");
  append(busy, numbered("busy line with some padding to make it longer ", 0, 100'000));
  append(quiet, "quiet 0\n");
  start({TailSource{"busy", busy, StartAt::kBeginning},
         TailSource{"quiet", quiet, StartAt::kBeginning}});
  ASSERT_EQ(consumer_.lines.size(), 100'001u);
  // Round robin with one chunk per file per turn: the quiet line came early, not after 5 MB.
  std::size_t at = 0;
  while (consumer_.lines[at].text != "quiet 0") ++at;
  EXPECT_LT(at, 10'000u);
}

TEST_F(FollowerTest, QueueOverflowLosesNothing) {
  // A burst of more events than the kernel queue holds, from two files so they cannot
  // coalesce. As root the queue is shrunk for this test's inotify instance only.
  std::string saved;
  const char* knob = "/proc/sys/fs/inotify/max_queued_events";
  {
    std::ifstream in(knob);
    std::getline(in, saved);
  }
  ASSERT_FALSE(saved.empty());
  long queue = std::stol(saved);
  bool lowered = false;
  if (::geteuid() == 0) {
    std::ofstream out(knob);
    out << 64 << std::flush;
    lowered = out.good();
    if (lowered) queue = 64;
  }
  append(log("a.log"), "");
  append(log("b.log"), "");
  start({TailSource{"glob", log("*.log"), StartAt::kBeginning}});
  if (lowered) std::ofstream(knob) << saved;  // only instances created meanwhile saw it
  const int per_file = static_cast<int>(queue) + 100;
  {
    const int a = ::open(log("a.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    const int b = ::open(log("b.log").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    for (int i = 0; i < per_file; ++i) {
      const std::string la = "a " + std::to_string(i) + "\n";
      const std::string lb = "b " + std::to_string(i) + "\n";
      ASSERT_EQ(::write(a, la.data(), la.size()), static_cast<ssize_t>(la.size()));
      ASSERT_EQ(::write(b, lb.data(), lb.size()), static_cast<ssize_t>(lb.size()));
    }
    ::close(a);
    ::close(b);
  }
  ASSERT_TRUE(runUntil([&] { return consumer_.lines.size() == 2u * per_file; }));
  EXPECT_EQ(consumer_.textsFrom("a.log"), numberedList("a ", 0, per_file));
  EXPECT_EQ(consumer_.textsFrom("b.log"), numberedList("b ", 0, per_file));
  EXPECT_GE(counters().queue_overflows, 1u);
}

// A watcher that cannot watch anything: what the follower sees when the watch limit is reached.
class LimitReachedWatcher final : public FileWatcher {
 public:
  WatchResult watchDirectory(const std::string& path, WatchListener&) override {
    return {0, WatchFailure::kLimit, "cannot watch " + path + ": limit reached"};
  }
  WatchResult watchOpenFile(int, const std::string& path, WatchListener&) override {
    return {0, WatchFailure::kLimit, "cannot watch " + path + ": limit reached"};
  }
  void unwatch(WatchHandle) override {}
  void close() override {}
};

TEST_F(FollowerTest, WatchLimitFallsBackToPeriodicChecksThatStillDeliver) {
  const std::string path = log("access.log");
  append(path, "before\n");
  TailConfig config = fastConfig();
  config.safety_check = 100ms;
  start({TailSource{path, path, StartAt::kBeginning}}, config,
        std::make_unique<LimitReachedWatcher>());
  ASSERT_TRUE(consumer_.has("before"));
  EXPECT_TRUE(service_->follower(0).degraded());
  EXPECT_GE(counters().error(TailErrorKind::kWatchLimit), 1u);
  fs::rename(path, path + ".1");
  append(path, "after rotation\n");
  barrier(path, "polled");
  EXPECT_EQ(consumer_.texts(), (std::vector<std::string>{"before", "after rotation", "polled"}));
}

TEST_F(FollowerTest, GlobWithWildcardInADirectoryIsRejectedClearly) {
  start({TailSource{"bad", root_ + "/*/access.log", StartAt::kBeginning},
         TailSource{"good", log("a.log"), StartAt::kBeginning}});
  EXPECT_EQ(counters().error(TailErrorKind::kBadPattern), 1u);
  barrier(log("a.log"), "other sources go on");
}

// Permission denied, then fixed by chmod: run as an unprivileged user (root reads anything).
// As root, the follower runs in a forked child that drops to `nobody`; it reports the lines
// it gets through a pipe.
TEST_F(FollowerTest, PermissionDeniedThenFixedByChmod) {
  const std::string path = log("secret.log");
  append(path, "secret 0\n");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  const bool root = ::geteuid() == 0;
  if (!root) {
    ASSERT_EQ(::chmod(path.c_str(), 0000), 0);
  }

  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    if (root && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                 ::setresuid(65534, 65534, 65534) != 0)) {
      (void)!::write(report[1], "SKIP\n", 5);
      ::_exit(0);
    }
    boost::asio::io_context io;
    RecordingConsumer consumer;
    SystemClock clock;
    TailService service(io, fastConfig(), {TailSource{path, path, StartAt::kBeginning}}, nullptr,
                        consumer, clock);
    bool ready = false;
    service.onCaughtUp([&] { ready = true; });
    service.start();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!ready && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
    const std::string denied =
        "DENIED " + std::to_string(service.counters().error(TailErrorKind::kPermission)) + "\n";
    (void)!::write(report[1], denied.data(), denied.size());
    while (!consumer.has("secret 0") && std::chrono::steady_clock::now() < deadline) {
      io.run_for(5ms);
    }
    for (const auto& d : consumer.lines) {
      const std::string line = "LINE " + d.text + "\n";
      (void)!::write(report[1], line.data(), line.size());
    }
    ::_exit(0);
  }
  ::close(report[1]);
  // Read the child's report line by line, bounded by a timeout.
  std::string got;
  auto readUntil = [&](std::string_view needle) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{report[0], POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = ::read(report[0], buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got.find(needle) != std::string::npos;
  };
  ASSERT_TRUE(readUntil("\n")) << got;
  if (got.starts_with("SKIP")) {
    ::waitpid(child, nullptr, 0);
    GTEST_SKIP() << "cannot drop privileges to nobody here; permission checks do not apply";
  }
  EXPECT_EQ(got, "DENIED 1\n");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);  // the fix: IN_ATTRIB on the directory
  EXPECT_TRUE(readUntil("LINE secret 0\n")) << got;
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
}

}  // namespace
}  // namespace gw
