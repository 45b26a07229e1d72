// Change notifications for directories and open files, behind a small interface so that the
// OS backend (inotify_watcher.cpp) stays in one file and tests can inject failures. Events are
// hints only: the follower re-checks by stat whatever an event concerns, and re-checks
// everything after an overflow (as watchman re-crawls), so nothing depends on event masks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace gw {

using WatchHandle = uint64_t;

// Bits of WatchEvent::what.
enum WatchWhat : uint32_t {
  kWatchModified = 1u << 0,  // file content changed
  kWatchAttrib = 1u << 1,    // metadata: permissions, link count (unlink), times
  kWatchChild = 1u << 2,     // directory: `name` was created, moved in/out, deleted or chmod'ed
  kWatchSelfGone = 1u << 3,  // the watched object was deleted or moved, or the watch ended
};

struct WatchEvent {
  uint32_t what = 0;
  std::string_view name;  // directory watches: the child concerned; valid during the call
};

class WatchListener {
 public:
  virtual void onWatchEvent(WatchHandle handle, const WatchEvent& event) = 0;
  // Events were lost (queue overflow): everything must be re-checked.
  virtual void onWatchOverflow() = 0;

 protected:
  ~WatchListener() = default;
};

enum class WatchFailure : uint8_t {
  kNone,
  kLimit,       // the per-user watch limit (fs.inotify.max_user_watches) is reached
  kPermission,  // not readable by this user
  kNotFound,
  kOther,
};

struct WatchResult {
  WatchHandle handle = 0;  // 0 on failure
  WatchFailure failure = WatchFailure::kNone;
  std::string message;  // what failed and what to do, for the log
  bool ok() const { return failure == WatchFailure::kNone; }
};

class FileWatcher {
 public:
  virtual ~FileWatcher() = default;
  // Creations, renames, deletions and attribute changes of a directory's children, and the
  // directory's own deletion or move.
  virtual WatchResult watchDirectory(const std::string& path, WatchListener& listener) = 0;
  // Modifications and attribute changes of an open file, following the inode wherever it is
  // renamed: `fd` is the descriptor the caller reads from.
  virtual WatchResult watchOpenFile(int fd, const std::string& path_for_messages,
                                    WatchListener& listener) = 0;
  // Stops delivering to this handle; safe to call from within onWatchEvent.
  virtual void unwatch(WatchHandle handle) = 0;
  // Stops reading events for good (shutdown); no callback runs after this returns.
  virtual void close() = 0;
  // Times the kernel queue overflowed (events lost, everything re-checked).
  virtual uint64_t overflows() const { return 0; }
};

// The inotify backend (Linux), reading events through Boost.Asio: no polling loop. Fails only
// when no inotify instance can be had (fs.inotify.max_user_instances); the caller then
// falls back to periodic checks.
struct WatcherCreation {
  std::unique_ptr<FileWatcher> watcher;
  std::string error;
};
WatcherCreation makeInotifyWatcher(boost::asio::io_context& io);

}  // namespace gw
