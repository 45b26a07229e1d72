#include "tail/tail_service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace gw {

namespace {

// Stands in when no inotify instance can be had: every watch "fails", so every follower is
// degraded and checked every kDegradedPollInterval.
class NoWatcher final : public FileWatcher {
 public:
  explicit NoWatcher(std::string why) : why_(std::move(why)) {}
  WatchResult watchDirectory(const std::string& path, WatchListener&) override {
    return {0, WatchFailure::kLimit, "cannot watch " + path + ": " + why_};
  }
  WatchResult watchOpenFile(int, const std::string& path, WatchListener&) override {
    return {0, WatchFailure::kLimit, "cannot watch " + path + ": " + why_};
  }
  void unwatch(WatchHandle) override {}
  void close() override {}

 private:
  std::string why_;
};

}  // namespace

std::vector<TailSource> tailSourcesFrom(const std::vector<SourceConfig>& sources,
                                        std::vector<TailSourceOf>* origin) {
  std::vector<TailSource> out;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const SourceConfig& s = sources[i];
    if (!s.access_log.empty()) {
      out.push_back({s.name + "/access_log", s.access_log, s.start_at});
      if (origin) origin->push_back({i, false});
    }
    if (!s.error_log.empty()) {
      out.push_back({s.name + "/error_log", s.error_log, s.start_at});
      if (origin) origin->push_back({i, true});
    }
  }
  return out;
}

TailService::TailService(boost::asio::io_context& io, const TailConfig& config,
                         std::vector<TailSource> sources, CheckpointStore* store,
                         LineConsumer& consumer, const Clock& clock,
                         std::unique_ptr<FileWatcher> watcher)
    : io_(io),
      config_(config),
      sources_(std::move(sources)),
      store_(store),
      consumer_(consumer),
      clock_(clock),
      watcher_(std::move(watcher)),
      safety_timer_(io),
      grace_timer_(io),
      checkpoint_timer_(io) {}

TailService::~TailService() {
  *alive_ = false;
  if (!stopped_) {
    safety_timer_.cancel();
    grace_timer_.cancel();
    checkpoint_timer_.cancel();
    followers_.clear();
    if (watcher_) watcher_->close();
  }
}

void TailService::start() {
  if (started_) return;
  started_ = true;
  if (!watcher_) {
    WatcherCreation created = makeInotifyWatcher(io_);
    if (created.watcher) {
      watcher_ = std::move(created.watcher);
    } else {
      spdlog::error("tail: {}; every log is checked every {} instead of being watched",
                    created.error, formatDuration(kDegradedPollInterval));
      watcher_ = std::make_unique<NoWatcher>(created.error);
    }
  }
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    followers_.push_back(
        std::make_unique<Follower>(i, sources_[i], config_, *watcher_, clock_, [this] { wake(); }));
  }
  for (std::size_t i = 0; i < followers_.size(); ++i) {
    std::vector<Checkpoint> rows;
    if (store_ != nullptr) {
      auto loaded = store_->load(sources_[i].key);
      if (loaded) {
        rows = std::move(*loaded);
      } else {
        spdlog::error("tail: loading the checkpoints of {} failed: {}; starting it per start_at",
                      sources_[i].path, loaded.error().message);
      }
    }
    followers_[i]->start(std::move(rows));
  }
  armSafetyTimer();
  // The rows of files found (or given up) at start-up are worth saving right away.
  armCheckpointTimer();
  wake();
}

void TailService::wake() {
  if (stopped_ || turn_posted_) return;
  turn_posted_ = true;
  boost::asio::post(io_, [this, alive = alive_] {
    if (!*alive) return;
    turn_posted_ = false;
    runTurn();
  });
}

void TailService::runTurn() {
  if (stopped_) return;
  std::size_t lines = 0;
  bool more = false;
  const std::size_t n = followers_.size();
  for (std::size_t k = 0; k < n; ++k) {
    Follower& f = *followers_[(next_follower_ + k) % n];
    lines += f.turn(consumer_, more);
  }
  if (n > 0) next_follower_ = (next_follower_ + 1) % n;
  if (lines > 0) {
    consumer_.onBatchEnd();
    uncommitted_lines_ += lines;
    if (uncommitted_lines_ >= config_.checkpoint_lines) {
      (void)commitCheckpoints();
    } else {
      armCheckpointTimer();
    }
  }
  bool changed = false;
  for (auto& f : followers_) changed = f->takeStructureChanged() || changed;
  if (changed) armCheckpointTimer();
  armGraceTimer();
  if (more) {
    wake();
  } else if (!caught_up_) {
    caught_up_ = true;
    if (on_caught_up_) on_caught_up_();
  }
}

void TailService::armSafetyTimer() {
  bool degraded = false;
  for (const auto& f : followers_) degraded = degraded || f->degraded();
  const Millis every =
      degraded ? std::min(config_.safety_check, kDegradedPollInterval) : config_.safety_check;
  safety_timer_.expires_after(every);
  safety_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || stopped_) return;
    for (auto& f : followers_) f->requestFullCheck();
    armSafetyTimer();
  });
}

void TailService::armGraceTimer() {
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& f : followers_) {
    if (auto due = f->nextDeadline(); due && (!next || *due < *next)) next = due;
  }
  if (!next || (grace_due_ && *grace_due_ <= *next)) return;
  grace_due_ = next;
  // The deadline is on the injected clock; the timer waits the same span on the real one.
  const auto wait = *next - clock_.steadyNow() + std::chrono::milliseconds(1);
  grace_timer_.expires_after(wait);
  grace_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive || stopped_) return;
    grace_due_.reset();
    wake();
  });
}

void TailService::armCheckpointTimer() {
  if (checkpoint_armed_ || store_ == nullptr) return;
  checkpoint_armed_ = true;
  checkpoint_timer_.expires_after(config_.checkpoint_interval);
  checkpoint_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive) return;
    checkpoint_armed_ = false;
    if (ec || stopped_) return;
    (void)commitCheckpoints();
  });
}

Result<void> TailService::commitCheckpoints() {
  if (store_ == nullptr) return {};
  consumer_.onBatchEnd();
  const int64_t now_ms = fileClockNowMs();  // compared with file mtimes at the next start
  for (auto& f : followers_) f->stageCheckpoints(*store_, now_ms);
  if (store_->staged() == 0) {
    uncommitted_lines_ = 0;
    return {};
  }
  auto r = store_->commit();
  if (r) {
    ++service_counters_.checkpoint_commits;
    uncommitted_lines_ = 0;
    if (commit_failing_) {
      spdlog::info("tail: checkpoints are committed again");
      commit_failing_ = false;
    }
    return r;
  }
  service_counters_.countError(TailErrorKind::kCheckpoint);
  const auto now = clock_.steadyNow();
  if (!commit_failing_ || now - last_commit_warning_ >= kCheckpointWarnInterval) {
    spdlog::warn(
        "tail: committing checkpoints failed ({}): {}. Following goes on; the commit is "
        "retried, and a restart before it succeeds reads those lines again (free disk space "
        "in the state directory)",
        toString(store_->lastErrorKind()), r.error().message);
    last_commit_warning_ = now;
  }
  commit_failing_ = true;
  if (!stopped_) armCheckpointTimer();  // retry at the next interval even without new lines
  return r;
}

void TailService::stop() {
  if (stopped_) return;
  (void)commitCheckpoints();
  stopped_ = true;
  safety_timer_.cancel();
  grace_timer_.cancel();
  checkpoint_timer_.cancel();
  for (auto& f : followers_) f->shutdown();
  if (watcher_) watcher_->close();
}

TailCounters TailService::counters() const {
  TailCounters total = service_counters_;
  for (const auto& f : followers_) total += f->counters();
  if (watcher_) total.queue_overflows += watcher_->overflows();
  return total;
}

const TailCounters& TailService::sourceCounters(std::size_t source) const {
  return followers_[source]->counters();
}

std::vector<PathLag> TailService::lag() const {
  std::vector<PathLag> out;
  for (const auto& f : followers_) {
    auto part = f->lag();
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace gw
