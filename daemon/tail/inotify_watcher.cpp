// The inotify backend of FileWatcher; the only file that includes <sys/inotify.h>.
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "tail/file_watcher.h"

namespace gw {
namespace {

// Children of a watched directory: creation, renames, deletion, chmod (a file that becomes
// readable), and the directory itself going away. No IN_MODIFY here: content changes come from
// the per-file watch, so a busy file's events coalesce in the kernel queue instead of
// alternating between two watches.
constexpr uint32_t kDirMask = IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// An open file: new bytes, truncation (IN_MODIFY too), unlink (IN_ATTRIB: link count).
constexpr uint32_t kFileMask = IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
// One read of the inotify descriptor: a few hundred events per wake-up under load.
constexpr std::size_t kEventBufferBytes = 64 * 1024;

class InotifyWatcher final : public FileWatcher {
 public:
  InotifyWatcher(boost::asio::io_context& io, int fd) : state_(std::make_shared<State>(io, fd)) {
    startRead(state_);
  }
  ~InotifyWatcher() override { close(); }

  WatchResult watchDirectory(const std::string& path, WatchListener& listener) override {
    return add(path, path, kDirMask, listener);
  }

  WatchResult watchOpenFile(int fd, const std::string& path, WatchListener& listener) override {
    // Through /proc/self/fd the watch lands on the inode we hold open, even if the path was
    // renamed since open().
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    WatchResult r = add(proc, path, kFileMask, listener);
    if (r.failure == WatchFailure::kNotFound) r = add(path, path, kFileMask, listener);
    return r;
  }

  void unwatch(WatchHandle handle) override {
    State& s = *state_;
    auto it = s.handles.find(handle);
    if (it == s.handles.end()) return;
    const int wd = it->second.wd;
    s.handles.erase(it);
    auto& list = s.by_wd[wd];
    std::erase(list, handle);
    if (list.empty()) {
      s.by_wd.erase(wd);
      inotify_rm_watch(s.fd, wd);
    }
  }

  uint64_t overflows() const override { return state_->overflows; }

  void close() override {
    State& s = *state_;
    if (s.closed) return;
    s.closed = true;
    boost::system::error_code ec;
    s.descriptor.cancel(ec);
    s.descriptor.close(ec);
    s.handles.clear();
    s.by_wd.clear();
  }

 private:
  struct Registration {
    int wd;
    WatchListener* listener;
  };
  struct State {
    State(boost::asio::io_context& io, int inotify_fd)
        : descriptor(io, inotify_fd), fd(inotify_fd) {}
    boost::asio::posix::stream_descriptor descriptor;
    int fd;
    bool closed = false;
    uint64_t overflows = 0;
    WatchHandle next_handle = 1;
    std::map<WatchHandle, Registration> handles;
    std::map<int, std::vector<WatchHandle>> by_wd;
    alignas(inotify_event) char buffer[kEventBufferBytes];
  };

  WatchResult add(const std::string& target, const std::string& path, uint32_t mask,
                  WatchListener& listener) {
    State& s = *state_;
    WatchResult result;
    const int wd = inotify_add_watch(s.fd, target.c_str(), mask);
    if (wd < 0) {
      const int err = errno;
      switch (err) {
        case ENOSPC:
          result.failure = WatchFailure::kLimit;
          result.message = "cannot watch " + path +
                           ": the inotify watch limit of this user is reached (raise "
                           "fs.inotify.max_user_watches, e.g. `sysctl "
                           "fs.inotify.max_user_watches=524288`)";
          break;
        case EACCES:
        case EPERM:
          result.failure = WatchFailure::kPermission;
          result.message = "cannot watch " + path + ": " + std::strerror(err);
          break;
        case ENOENT:
        case ENOTDIR:
          result.failure = WatchFailure::kNotFound;
          result.message = "cannot watch " + path + ": " + std::strerror(err);
          break;
        default:
          result.failure = WatchFailure::kOther;
          result.message = "cannot watch " + path + ": " + std::strerror(err);
      }
      return result;
    }
    result.handle = s.next_handle++;
    s.handles.emplace(result.handle, Registration{wd, &listener});
    s.by_wd[wd].push_back(result.handle);
    return result;
  }

  static void startRead(const std::shared_ptr<State>& state) {
    // The handler keeps the state alive; after close() it runs once with an error and stops.
    state->descriptor.async_read_some(
        boost::asio::buffer(state->buffer, sizeof state->buffer),
        [state](const boost::system::error_code& ec, std::size_t n) { onRead(state, ec, n); });
  }

  static void onRead(const std::shared_ptr<State>& state, const boost::system::error_code& ec,
                     std::size_t n) {
    if (state->closed) return;
    if (ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      spdlog::error("tail: reading inotify events failed: {}; re-checking every file",
                    ec.message());
      broadcastOverflow(*state);
      if (ec == boost::asio::error::interrupted || ec == boost::asio::error::try_again) {
        startRead(state);
      }
      return;
    }
    dispatch(*state, n);
    if (!state->closed) startRead(state);
  }

  static void broadcastOverflow(State& s) {
    std::vector<WatchListener*> listeners;
    for (const auto& [handle, reg] : s.handles) {
      if (std::find(listeners.begin(), listeners.end(), reg.listener) == listeners.end()) {
        listeners.push_back(reg.listener);
      }
    }
    for (WatchListener* listener : listeners) {
      if (s.closed) return;
      listener->onWatchOverflow();
    }
  }

  static void dispatch(State& s, std::size_t n) {
    std::size_t pos = 0;
    std::vector<std::pair<WatchHandle, WatchListener*>> targets;
    while (pos + sizeof(inotify_event) <= n && !s.closed) {
      inotify_event header;
      std::memcpy(&header, s.buffer + pos, sizeof header);
      const char* name_ptr = s.buffer + pos + sizeof(inotify_event);
      pos += sizeof(inotify_event) + header.len;
      if ((header.mask & IN_Q_OVERFLOW) != 0) {
        ++s.overflows;
        spdlog::warn(
            "tail: the inotify event queue overflowed (more than fs.inotify.max_queued_events "
            "events unread); re-checking every followed file");
        broadcastOverflow(s);
        continue;
      }
      auto wd_it = s.by_wd.find(header.wd);
      if (wd_it == s.by_wd.end()) continue;  // unwatched meanwhile
      WatchEvent event;
      if ((header.mask & IN_MODIFY) != 0) event.what |= kWatchModified;
      if ((header.mask & IN_ATTRIB) != 0) event.what |= kWatchAttrib;
      if ((header.mask & (IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE)) != 0) {
        event.what |= kWatchChild;
      }
      if ((header.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) != 0) {
        event.what |= kWatchSelfGone;
      }
      if (header.len > 0) event.name = std::string_view(name_ptr, strnlen(name_ptr, header.len));
      // A chmod of a child arrives as IN_ATTRIB with a name: report it as a child event.
      if (!event.name.empty() && (event.what & kWatchAttrib) != 0) event.what |= kWatchChild;
      targets.clear();
      for (WatchHandle h : wd_it->second) targets.push_back({h, s.handles.at(h).listener});
      const bool ignored = (header.mask & IN_IGNORED) != 0;
      if (ignored) {
        // The kernel dropped the watch (object deleted, or unmounted): the handles are dead.
        for (const auto& [h, listener] : targets) s.handles.erase(h);
        s.by_wd.erase(wd_it);
      }
      for (const auto& [h, listener] : targets) {
        if (s.closed) return;
        // Listeners may unwatch while we dispatch: skip handles that went away.
        if (!ignored && !s.handles.contains(h)) continue;
        listener->onWatchEvent(h, event);
      }
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace

WatcherCreation makeInotifyWatcher(boost::asio::io_context& io) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string message = std::string("cannot create an inotify instance: ") + std::strerror(err);
    if (err == EMFILE) {
      message +=
          " (raise fs.inotify.max_user_instances, e.g. `sysctl "
          "fs.inotify.max_user_instances=512`)";
    }
    return {nullptr, message};
  }
  return {std::make_unique<InotifyWatcher>(io, fd), {}};
}

}  // namespace gw
