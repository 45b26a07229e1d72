// TailService runs every follower on one io_context: it owns the watcher, schedules read turns
// round robin (one chunk per file per turn, so one busy log cannot starve another), runs the
// safety-net and rotate-grace timers, and commits checkpoints after the consumer has the lines:
// every checkpoint_interval or checkpoint_lines lines, and on stop(). Delivery is at-least-once
// after a crash (at most the last uncommitted batch again) and exactly once after stop().
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "common/time.h"
#include "config/config.h"
#include "store/checkpoint_store.h"
#include "tail/file_watcher.h"
#include "tail/follower.h"
#include "tail/line.h"
#include "tail/tail_counters.h"

namespace gw {

// Repeated checkpoint failures (disk full) are logged at most this often.
inline constexpr Millis kCheckpointWarnInterval{60'000};

// The access and error logs of the configured sources as followed logs, with stable keys
// ("<name>/access_log", "<name>/error_log"). The index of each entry is Line::source.
struct TailSourceOf {
  std::size_t config_index;  // index into Config::sources
  bool error_log;            // the entry follows the source's error_log
};
std::vector<TailSource> tailSourcesFrom(const std::vector<SourceConfig>& sources,
                                        std::vector<TailSourceOf>* origin = nullptr);

class TailService {
 public:
  // store may be null: no checkpoints (every start is a first run). watcher may be null: the
  // inotify watcher is created on start().
  TailService(boost::asio::io_context& io, const TailConfig& config,
              std::vector<TailSource> sources, CheckpointStore* store, LineConsumer& consumer,
              const Clock& clock, std::unique_ptr<FileWatcher> watcher = nullptr);
  ~TailService();
  TailService(const TailService&) = delete;
  TailService& operator=(const TailService&) = delete;

  // Sets every watch, resumes checkpoints, then reads asynchronously on the io_context.
  void start();
  // Called once, the first time every follower has read all there was after start().
  void onCaughtUp(std::function<void()> callback) { on_caught_up_ = std::move(callback); }
  // Commits the checkpoints of everything delivered, closes files and watches; the io_context
  // then runs out of work from this service. Held partial lines are read again next run.
  void stop();

  // Commits the checkpoints now (after consumer.onBatchEnd()). Failures are logged, counted
  // and retried at the next commit; the error is returned for tests.
  Result<void> commitCheckpoints();

  TailCounters counters() const;
  const TailCounters& sourceCounters(std::size_t source) const;
  std::vector<PathLag> lag() const;
  std::size_t sourceCount() const { return followers_.size(); }
  const Follower& follower(std::size_t source) const { return *followers_[source]; }

 private:
  void wake();
  void runTurn();
  void armSafetyTimer();
  void armGraceTimer();
  void armCheckpointTimer();

  boost::asio::io_context& io_;
  TailConfig config_;
  std::vector<TailSource> sources_;
  CheckpointStore* store_;
  LineConsumer& consumer_;
  const Clock& clock_;
  std::unique_ptr<FileWatcher> watcher_;
  std::vector<std::unique_ptr<Follower>> followers_;

  boost::asio::steady_timer safety_timer_;
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer checkpoint_timer_;
  std::optional<std::chrono::steady_clock::time_point> grace_due_;
  bool checkpoint_armed_ = false;

  bool started_ = false;
  bool stopped_ = false;
  bool turn_posted_ = false;
  bool caught_up_ = false;
  std::size_t next_follower_ = 0;  // round robin start
  uint64_t uncommitted_lines_ = 0;
  std::function<void()> on_caught_up_;

  TailCounters service_counters_;  // commits, checkpoint errors, overflows
  std::chrono::steady_clock::time_point last_commit_warning_{};
  bool commit_failing_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace gw
