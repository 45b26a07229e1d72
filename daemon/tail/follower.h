// Follower makes one configured path or glob look like one endless stream of lines, across
// rename+create rotation, copytruncate, compression, deletion and recreation, and across
// restarts through checkpoints. Lines arrive once, in order per file, without the trailing '\n'.
// The rules it applies are written in tail/reconcile.cpp and docs/tailing.md.
//
// A follower is driven by its owner (TailService): watch events and timers only mark work;
// turn() does the work, reading at most one chunk per file, so several followers share the
// thread fairly and memory stays bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "config/config.h"
#include "store/checkpoint_store.h"
#include "tail/file_watcher.h"
#include "tail/line.h"
#include "tail/line_splitter.h"
#include "tail/reconcile.h"
#include "tail/tail_counters.h"

namespace gw {

// One followed log: what the follower needs from the configuration.
struct TailSource {
  std::string key;   // checkpoint key, stable across restarts (e.g. "<source>/access_log")
  std::string path;  // a path, or a glob with wildcards in the file name only
  StartAt start_at = StartAt::kEnd;  // where to start a file that has no checkpoint, first run only
};

// A deleted file is kept open this long after its last new byte: a writer that has not yet
// reopened its log (nginx between logrotate's `compress` and USR1 reaching every worker) may
// still append to it, and we hold the only way to read that.
inline constexpr std::chrono::milliseconds kDeletedQuiet{1000};
// Closed files remembered per follower (to recognise a rotated file already read when a glob
// matches it again); the oldest are forgotten beyond this.
inline constexpr std::size_t kMaxRememberedFiles = 256;
// A file idle this long gives its read buffer back (max_line_bytes + one chunk).
inline constexpr std::chrono::milliseconds kIdleBufferRelease{60'000};
// Overlong lines (attacker-controlled content) are reported at most this often, with a count.
inline constexpr std::chrono::milliseconds kCutWarnInterval{60'000};
// A path whose watch could not be set is checked this often instead: polling then stands in
// for inotify, so it must be frequent enough for alerting.
inline constexpr std::chrono::milliseconds kDegradedPollInterval{1000};

// Now, in Unix milliseconds, on the clock the kernel stamps file times with (coarse real time,
// a few ms behind the precise clock). Checkpoints carry it, so that "modified after the last
// commit" can be told from a file's mtime without a tick of doubt.
int64_t fileClockNowMs();

struct TailedFile;  // one open file; defined in follower.cpp

class Follower final : public WatchListener {
 public:
  // wake: called when work is pending (the owner schedules a turn).
  Follower(std::size_t index, TailSource source, const TailConfig& config, FileWatcher& watcher,
           const Clock& clock, std::function<void()> wake);
  ~Follower();
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Sets the watches first, then finds the files: resuming each checkpoint (also in a rotated
  // sibling or inside a .gz), start_at for files without one on a first run. No reading here.
  void start(std::vector<Checkpoint> checkpoints);

  // One turn: apply pending re-checks, then read at most one chunk per file (oldest file first
  // for a plain path, so a rotated file is drained before its successor) and deliver the lines.
  // Returns the number of lines delivered; sets `more` when work remains.
  std::size_t turn(LineConsumer& consumer, bool& more);

  // Re-check everything by stat: the safety net, and what to do after a queue overflow.
  void requestFullCheck();
  // When the next rotated or deleted file becomes due for closing (drained and quiet); the
  // owner runs a turn then, which closes it.
  std::optional<std::chrono::steady_clock::time_point> nextDeadline() const;

  // Stages the checkpoints that changed since the last call, stamped now_ms (fileClockNowMs()).
  // Returns whether anything was.
  bool stageCheckpoints(CheckpointStore& store, int64_t now_ms);

  // True while some watch could not be set (limit reached, permission): checked periodically.
  bool degraded() const;
  // Whether files were opened, rotated or closed since the last call (a checkpoint is due).
  bool takeStructureChanged() { return std::exchange(structure_changed_, false); }
  const TailCounters& counters() const { return counters_; }
  std::vector<PathLag> lag() const;
  const TailSource& source() const { return source_; }
  // Open files, for tests and diagnostics.
  std::size_t openFiles() const { return files_.size(); }

  // Closes every file without delivering held partial lines (they are read again next run).
  void shutdown();

  void onWatchEvent(WatchHandle handle, const WatchEvent& event) override;
  void onWatchOverflow() override;

 private:
  struct DirEntry {
    std::string name;
    FileId id;
    uint64_t size = 0;
    int64_t mtime_ms = 0;
    bool matches = false;  // matches the pattern (followable live)
    bool gzip = false;
  };
  struct Denied {
    FileId id;
    bool apply_start_at = false;
  };

  void armDirectory();
  void rescan(bool startup);
  std::vector<DirEntry> listDirectory();
  bool nameMatches(std::string_view name) const;
  bool isCandidate(std::string_view name) const;
  void resumeRotated(const std::vector<DirEntry>& entries);
  // Whether the file at `entry` is the checkpoint's (inode and fingerprints).
  Resume probe(const DirEntry& entry, const Checkpoint& cp) const;
  void openMatch(const DirEntry& entry, bool startup);
  // Opens a plain file; `resume_only`: open it only if it resumes a checkpoint; `content_of`:
  // resume that checkpoint if this file holds its bytes (a copy: other inode, same content).
  std::unique_ptr<TailedFile> openPlain(const DirEntry& entry, bool apply_start_at,
                                        bool resume_only, const Checkpoint* content_of = nullptr);
  // Opens a .gz for reading to its end: at a checkpoint's offset (verified) or from 0.
  std::unique_ptr<TailedFile> openGzip(const DirEntry& entry, const Checkpoint* cp);
  void adopt(std::unique_ptr<TailedFile> file, bool front);
  // The first kHeadBytes of a file (decompressed for a .gz); nullopt when unreadable.
  std::optional<std::string> headOf(const DirEntry& entry) const;
  // Whether the file holds the checkpoint's bytes up to its offset (by fingerprints).
  bool holdsContentOf(const DirEntry& entry, const Checkpoint& cp);
  void watchFile(TailedFile& file);
  Millis pollInterval() const;
  std::string awaitedName() const;
  void look(TailedFile& file, LineConsumer& consumer, std::size_t& lines);
  bool readChunk(TailedFile& file, LineConsumer& consumer, std::size_t& lines);
  void deliver(TailedFile& file, const LineSplitter::Piece& piece, LineConsumer& consumer);
  void housekeeping(LineConsumer& consumer, std::size_t& lines, bool& more);
  void closeFile(std::size_t index, LineConsumer& consumer, std::size_t& lines, const char* why);
  void remember(const Checkpoint& cp);
  Checkpoint checkpointOf(const TailedFile& file, int64_t now_ms) const;
  TailedFile* findOpen(const FileId& id);
  void markRotated(TailedFile& file, const char* how);

  std::size_t index_;
  TailSource source_;
  TailConfig config_;
  FileWatcher& watcher_;
  const Clock& clock_;
  std::function<void()> wake_;

  std::string dir_;      // directory of the pattern
  std::string pattern_;  // file name or glob
  bool glob_ = false;
  std::string prefix_;  // literal start of the pattern: rotated siblings start with it
  bool bad_pattern_ = false;

  WatchHandle dir_handle_ = 0;
  std::string watched_path_;  // dir_ or its nearest existing ancestor
  FileId watched_id_;
  bool dir_present_ = false;
  bool dir_watch_warned_ = false;
  bool structure_changed_ = false;

  bool first_run_ = true;
  bool rescan_pending_ = false;
  bool dir_check_pending_ = false;
  bool full_check_pending_ = false;

  std::vector<std::unique_ptr<TailedFile>> files_;  // oldest first
  std::map<FileId, Checkpoint> known_;              // checkpoints not bound to an open file
  std::vector<Checkpoint> erased_;                  // rows to delete at the next stage
  std::vector<Checkpoint> closed_rows_;             // rows of files closed since the last stage
  std::map<std::string, Denied> denied_;            // unreadable paths, reported once
  TailCounters counters_;
  std::chrono::steady_clock::time_point last_cut_warning_{};
  uint64_t cut_unreported_ = 0;
};

}  // namespace gw
