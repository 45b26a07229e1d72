#include "tail/follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tail/fingerprint.h"
#include "tail/line_splitter.h"
#include "tail/reconcile.h"
#include "tail/unique_fd.h"

namespace gw {

namespace {

namespace fs = std::filesystem;
using SteadyTime = std::chrono::steady_clock::time_point;

struct GzClose {
  void operator()(gzFile_s* gz) const { gzclose(gz); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzClose>;

// zlib's own buffer for a .gz being read to its end at start-up.
constexpr unsigned kGzBufferBytes = 64 * 1024;

bool compressedName(std::string_view name) {
  for (std::string_view ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".Z"}) {
    if (name.size() > ext.size() && name.ends_with(ext)) return true;
  }
  return false;
}

// pread until `len` bytes or the end of the file; returns the bytes read or -1.
ssize_t preadFull(int fd, char* buf, std::size_t len, uint64_t offset) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

// Bytes [offset, offset + len) of the file, or nullopt if it is shorter.
std::optional<std::string> readAt(int fd, uint64_t offset, std::size_t len) {
  std::string bytes(len, '\0');
  const ssize_t n = preadFull(fd, bytes.data(), len, offset);
  if (n < 0 || static_cast<std::size_t>(n) != len) return std::nullopt;
  return bytes;
}

// Reads exactly len bytes from a gzip stream; false on a short read.
bool gzReadExact(gzFile_s* gz, char* buf, std::size_t len) {
  std::size_t done = 0;
  while (done < len) {
    const int n = gzread(
        gz, buf + done,
        static_cast<unsigned>(std::min<std::size_t>(len - done, std::numeric_limits<int>::max())));
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool gzSkip(gzFile_s* gz, uint64_t count) {
  char scratch[16 * 1024];
  while (count > 0) {
    const std::size_t step = std::min<uint64_t>(count, sizeof scratch);
    if (!gzReadExact(gz, scratch, step)) return false;
    count -= step;
  }
  return true;
}

// O_NONBLOCK: a FIFO swapped in at a log's path must not block the thread (regular files ignore
// the flag; everything opened is checked to be a regular file).
UniqueFd openForReading(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
}

int64_t mtimeMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

}  // namespace

int64_t fileClockNowMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

struct TailedFile {
  enum class Role : uint8_t {
    kLive,        // at the path (matches the glob)
    kRotated,     // renamed away: drained until quiet for rotate_grace
    kDeleted,     // unlinked: drained until quiet for kDeletedQuiet
    kCompressed,  // a .gz read to its end at start-up, then closed
  };

  TailedFile(std::string p, FileId i, std::size_t max_line)
      : path(std::move(p)), id(i), splitter(max_line) {}

  std::string path;
  FileId id;  // also the key of its checkpoint row (a .gz's own, once resumed from it)
  UniqueFd fd;
  GzHandle gz;
  LineSplitter splitter;
  uint64_t size = 0;
  Role role = Role::kLive;
  WatchHandle watch = 0;
  bool check = true;  // needs a look and a read
  bool eof = false;   // the last read reached the end
  bool read_error_reported = false;
  bool watch_warned = false;
  // Set by rescan(), consumed by the next look(): what the pattern resolves to now (a plain
  // path: the file at that name; a glob: this file if a matching name still holds it).
  std::optional<std::optional<FileId>> at_pattern;
  std::string renamed_from;  // for the log line of the rotation
  SteadyTime last_activity{};
  std::optional<Checkpoint> staged;  // the row as last staged
};

// ---------------------------------------------------------------------------------------------

Follower::Follower(std::size_t index, TailSource source, const TailConfig& config,
                   FileWatcher& watcher, const Clock& clock, std::function<void()> wake)
    : index_(index),
      source_(std::move(source)),
      config_(config),
      watcher_(watcher),
      clock_(clock),
      wake_(std::move(wake)) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(source_.path), ec).lexically_normal();
  dir_ = absolute.parent_path().string();
  pattern_ = absolute.filename().string();
  const auto wild = pattern_.find_first_of("*?[");
  glob_ = wild != std::string::npos;
  prefix_ = glob_ ? pattern_.substr(0, wild) : pattern_;
  if (dir_.find_first_of("*?[") != std::string::npos || pattern_.empty()) {
    bad_pattern_ = true;
  }
}

Follower::~Follower() { shutdown(); }

void Follower::shutdown() {
  if (dir_handle_ != 0) watcher_.unwatch(dir_handle_);
  dir_handle_ = 0;
  for (auto& file : files_) {
    if (file->watch != 0) watcher_.unwatch(file->watch);
  }
  files_.clear();
}

bool Follower::nameMatches(std::string_view name) const {
  if (!glob_) return name == pattern_;
  if (compressedName(name)) return false;  // a .gz is never followed live
  const std::string n(name);
  return fnmatch(pattern_.c_str(), n.c_str(), 0) == 0;
}

bool Follower::isCandidate(std::string_view name) const {
  return name.starts_with(prefix_) && name != "." && name != "..";
}

void Follower::start(std::vector<Checkpoint> checkpoints) {
  if (bad_pattern_) {
    counters_.countError(TailErrorKind::kBadPattern);
    spdlog::error(
        "tail: path={} cannot be followed: wildcards are supported in the file name only, not "
        "in directory names (list each directory as its own source)",
        source_.path);
    return;
  }
  first_run_ = checkpoints.empty();
  for (Checkpoint& cp : checkpoints) {
    const FileId id{cp.dev, cp.inode};
    known_[id] = std::move(cp);
  }
  // Watches first, then the files: a line written in between is seen by the first read.
  armDirectory();
  rescan(/*startup=*/true);
  if (wake_) wake_();
}

void Follower::armDirectory() {
  std::string target = dir_;
  struct stat st {};
  while (::stat(target.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    const std::string parent = fs::path(target).parent_path().string();
    if (parent.empty() || parent == target) break;
    target = parent;
  }
  const FileId id{st.st_dev, st.st_ino};
  const bool present = target == dir_;
  if (dir_handle_ != 0 && target == watched_path_ && id == watched_id_) {
    dir_present_ = present;
    return;
  }
  structure_changed_ = true;
  if (dir_handle_ != 0) watcher_.unwatch(dir_handle_);
  dir_handle_ = 0;
  WatchResult r = watcher_.watchDirectory(target, *this);
  if (r.ok()) {
    dir_handle_ = r.handle;
    if (dir_watch_warned_) spdlog::info("tail: path={} watching {} again", source_.path, target);
    dir_watch_warned_ = false;
  } else if (!dir_watch_warned_ || watched_path_ != target) {
    dir_watch_warned_ = true;
    counters_.countError(r.failure == WatchFailure::kLimit ? TailErrorKind::kWatchLimit
                                                           : TailErrorKind::kPermission);
    spdlog::warn("tail: path={} {}; checking it every {} instead", source_.path, r.message,
                 formatDuration(pollInterval()));
  }
  if (!present && (watched_path_ != target || dir_present_)) {
    spdlog::info("tail: path={} directory {} does not exist (yet); watching {} for it",
                 source_.path, dir_, target);
  } else if (present && !dir_present_ && !watched_path_.empty()) {
    spdlog::info("tail: path={} directory {} appeared", source_.path, dir_);
  }
  watched_path_ = target;
  watched_id_ = id;
  dir_present_ = present;
}

std::vector<Follower::DirEntry> Follower::listDirectory() {
  std::vector<DirEntry> entries;
  auto add = [&](const std::string& name) {
    const std::string full = dir_ + "/" + name;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    DirEntry e;
    e.name = name;
    e.id = FileId{st.st_dev, st.st_ino};
    e.size = static_cast<uint64_t>(st.st_size);
    e.mtime_ms = mtimeMs(st);
    e.matches = nameMatches(name);
    e.gzip = name.ends_with(".gz");
    entries.push_back(std::move(e));
  };
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), &::closedir);
  if (!dir) {
    // Without a listing a plain path can still be followed by its name.
    if (!glob_) add(pattern_);
    return entries;
  }
  while (const dirent* de = ::readdir(dir.get())) {
    const std::string_view name = de->d_name;
    if (isCandidate(name)) add(std::string(name));
  }
  return entries;
}

TailedFile* Follower::findOpen(const FileId& id) {
  for (auto& f : files_) {
    if (f->role != TailedFile::Role::kCompressed && f->id == id) return f.get();
  }
  return nullptr;
}

void Follower::markRotated(TailedFile& file, const char* how) {
  file.role = TailedFile::Role::kRotated;
  structure_changed_ = true;
  file.check = true;
  ++counters_.rotations;
  spdlog::info(
      "tail: path={} inode={} rotated ({}); reading it to its end, closing it after {} "
      "of quiet",
      file.path, file.id.inode, how, formatDuration(config_.rotate_grace));
}

void Follower::rescan(bool startup) {
  if (bad_pattern_ || !dir_present_) return;
  const std::vector<DirEntry> entries = listDirectory();

  // 1. What does the pattern resolve to now, for each file we hold? reconcile() decides in
  //    look(), together with what fstat shows (see reconcile.cpp, rules 4-6).
  std::optional<FileId> at_pattern;  // a plain path: the file at that name now
  if (!glob_) {
    for (const DirEntry& e : entries) {
      if (e.matches) at_pattern = e.id;
    }
  }
  for (auto& f : files_) {
    if (f->role == TailedFile::Role::kCompressed) continue;
    const auto it = std::find_if(entries.begin(), entries.end(),
                                 [&](const DirEntry& e) { return e.id == f->id; });
    if (it != entries.end() && it->name != fs::path(f->path).filename().string()) {
      const std::string renamed = dir_ + "/" + it->name;
      if (glob_ && it->matches && f->role == TailedFile::Role::kLive) {
        ++counters_.rotations;  // the glob matches the new name too: same file, read on
        spdlog::info("tail: path={} inode={} renamed to {}; still matched, reading on", f->path,
                     f->id.inode, renamed);
      }
      f->renamed_from = f->path;
      f->path = renamed;
    }
    if (glob_) {
      f->at_pattern =
          it != entries.end() && it->matches ? std::optional<FileId>(f->id) : std::nullopt;
    } else {
      f->at_pattern = at_pattern;
    }
    f->check = true;
  }

  // 2. At start-up: files rotated while we were stopped, found by fingerprint.
  if (startup) resumeRotated(entries);

  // 3. Matching files not open yet: resumed from a checkpoint, or new.
  std::vector<const DirEntry*> fresh;
  for (const DirEntry& e : entries) {
    if (e.matches && findOpen(e.id) == nullptr) fresh.push_back(&e);
  }
  // Oldest first, so that a glob matching access.log.1 and access.log reads them in order.
  std::sort(fresh.begin(), fresh.end(),
            [](const DirEntry* a, const DirEntry* b) { return a->mtime_ms < b->mtime_ms; });
  for (const DirEntry* e : fresh) openMatch(*e, startup);

  // Paths that were unreadable and are gone now.
  for (auto it = denied_.begin(); it != denied_.end();) {
    const auto found = std::find_if(entries.begin(), entries.end(), [&](const DirEntry& e) {
      return dir_ + "/" + e.name == it->first;
    });
    it = found == entries.end() ? denied_.erase(it) : std::next(it);
  }
}

void Follower::openMatch(const DirEntry& entry, bool startup) {
  const std::string path = dir_ + "/" + entry.name;
  bool apply_start_at = startup && first_run_;
  if (auto d = denied_.find(path); d != denied_.end() && d->second.id == entry.id) {
    apply_start_at = apply_start_at || d->second.apply_start_at;
  }
  auto file = openPlain(entry, apply_start_at, /*resume_only=*/false);
  if (file) adopt(std::move(file), /*front=*/false);
}

std::unique_ptr<TailedFile> Follower::openPlain(const DirEntry& entry, bool apply_start_at,
                                                bool resume_only, const Checkpoint* content_of) {
  const std::string path = dir_ + "/" + entry.name;
  UniqueFd fd = openForReading(path);
  if (!fd) {
    const int err = errno;
    if (err == EACCES || err == EPERM) {
      Denied& d = denied_[path];
      if (d.id != entry.id) {
        d.id = entry.id;
        d.apply_start_at = apply_start_at;
        counters_.countError(TailErrorKind::kPermission);
        spdlog::error(
            "tail: path={} cannot be read: {}. The service user needs read access to it (on "
            "Debian nginx logs belong to group adm: `usermod -aG adm <service user>`, or "
            "SupplementaryGroups=adm in the unit); retrying when its permissions change",
            path, std::strerror(err));
      }
    } else if (err != ENOENT) {
      counters_.countError(TailErrorKind::kIo);
      spdlog::error("tail: path={} cannot be opened: {}", path, std::strerror(err));
    }
    return nullptr;
  }
  if (denied_.erase(path) > 0) {
    spdlog::info("tail: path={} is readable now", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
  const FileId id{st.st_dev, st.st_ino};
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  uint64_t offset = 0;
  bool skip_line = false;
  bool resumed = false;
  // The checkpoint to resume: the one kept for this inode, or (content_of) one whose file this
  // may be a copy of, recognised by content alone.
  auto known = content_of != nullptr ? known_.end() : known_.find(id);
  const Checkpoint* cp = content_of != nullptr   ? content_of
                         : known != known_.end() ? &known->second
                                                 : nullptr;
  if (cp != nullptr) {
    Candidate candidate{content_of != nullptr ? std::nullopt : std::optional<FileId>(id), size,
                        std::nullopt, std::nullopt};
    if (auto head = readAt(fd.get(), 0, cp->head_len)) candidate.head = fingerprintOf(*head);
    if (cp->offset >= cp->marker_len) {
      if (auto m = readAt(fd.get(), cp->offset - cp->marker_len, cp->marker_len)) {
        candidate.marker = fingerprintOf(*m);
      }
    }
    switch (resumeDecision(*cp, candidate)) {
      case Resume::kResumeAt:
        offset = cp->offset;
        skip_line = cp->skip_line;
        resumed = true;
        if (offset != size || cp->state != CheckpointState::kDone) {
          spdlog::info("tail: path={} inode={} resuming at offset {} (size {}){}", path, id.inode,
                       offset, size,
                       content_of != nullptr
                           ? fmt::format(", a copy of {} (inode {})", cp->path, cp->inode)
                           : std::string());
        }
        break;
      case Resume::kStartOver:
        spdlog::warn(
            "tail: path={} inode={} is not the file of the checkpoint (truncated, rewritten or "
            "its inode reused while stopped); reading it from the start",
            path, id.inode);
        break;
      case Resume::kNotThis:
        break;
    }
    if (known != known_.end()) known_.erase(known);
  } else if (resume_only) {
    return nullptr;
  }
  if (resume_only && !resumed) return nullptr;
  if (!resumed && apply_start_at && source_.start_at == StartAt::kEnd) {
    offset = size;
    // Landing inside a line: skip its rest rather than deliver half a line.
    if (size > 0) {
      const auto last = readAt(fd.get(), size - 1, 1);
      skip_line = last && (*last)[0] != '\n';
    }
  }

  auto file = std::make_unique<TailedFile>(path, id, config_.max_line_bytes);
  file->size = size;
  const std::size_t marker_len = static_cast<std::size_t>(std::min<uint64_t>(kMarkerBytes, offset));
  const std::size_t head_len = static_cast<std::size_t>(std::min<uint64_t>(kHeadBytes, offset));
  const std::string marker = readAt(fd.get(), offset - marker_len, marker_len).value_or("");
  const std::string head = readAt(fd.get(), 0, head_len).value_or("");
  file->splitter.reset(offset, marker, head, skip_line);
  file->fd = std::move(fd);
  file->last_activity = clock_.steadyNow();
  if (!nameMatches(entry.name)) file->role = TailedFile::Role::kRotated;
  return file;
}

std::unique_ptr<TailedFile> Follower::openGzip(const DirEntry& entry, const Checkpoint* cp) {
  const std::string path = dir_ + "/" + entry.name;
  UniqueFd fd = openForReading(path);
  if (!fd) return nullptr;
  GzHandle gz(gzdopen(fd.release(), "rb"));
  if (!gz) return nullptr;
  gzbuffer(gz.get(), kGzBufferBytes);
  uint64_t offset = 0;
  std::string head;
  std::string marker;
  if (cp != nullptr) {
    Candidate candidate{std::nullopt, 0, std::nullopt, std::nullopt};
    head.assign(cp->head_len, '\0');
    if (!gzReadExact(gz.get(), head.data(), head.size())) return nullptr;
    candidate.head = fingerprintOf(head);
    if (*candidate.head != Fingerprint{cp->head_len, cp->head_hash}) return nullptr;
    if (cp->offset < cp->marker_len) return nullptr;
    const uint64_t marker_at = cp->offset - cp->marker_len;
    if (marker_at < head.size()) {
      // The marker overlaps the head: re-open from the start is simpler than juggling.
      if (gzrewind(gz.get()) != 0 || !gzSkip(gz.get(), marker_at)) return nullptr;
    } else if (!gzSkip(gz.get(), marker_at - head.size())) {
      return nullptr;
    }
    marker.assign(cp->marker_len, '\0');
    if (!gzReadExact(gz.get(), marker.data(), marker.size())) return nullptr;
    candidate.marker = fingerprintOf(marker);
    candidate.size = cp->offset;
    if (resumeDecision(*cp, candidate) != Resume::kResumeAt) return nullptr;
    offset = cp->offset;
    head.resize(std::min<std::size_t>(head.size(), kHeadBytes));
  }
  auto file = std::make_unique<TailedFile>(path, entry.id, config_.max_line_bytes);
  file->gz = std::move(gz);
  file->role = TailedFile::Role::kCompressed;
  file->size = entry.size;
  file->splitter.reset(offset, marker, head, cp != nullptr && cp->skip_line);
  file->last_activity = clock_.steadyNow();
  return file;
}

Resume Follower::probe(const DirEntry& entry, const Checkpoint& cp) const {
  const std::string path = dir_ + "/" + entry.name;
  UniqueFd fd = openForReading(path);
  if (!fd) return Resume::kResumeAt;  // unreadable: openMatch reports it and retries
  Candidate candidate{entry.id, entry.size, std::nullopt, std::nullopt};
  if (auto head = readAt(fd.get(), 0, cp.head_len)) candidate.head = fingerprintOf(*head);
  if (cp.offset >= cp.marker_len) {
    if (auto m = readAt(fd.get(), cp.offset - cp.marker_len, cp.marker_len)) {
      candidate.marker = fingerprintOf(*m);
    }
  }
  return resumeDecision(cp, candidate);
}

void Follower::resumeRotated(const std::vector<DirEntry>& entries) {
  // Checkpoints whose file is no longer at a matching name: look among the siblings, by inode
  // and fingerprint, then inside the .gz files by fingerprint.
  std::vector<std::unique_ptr<TailedFile>> resumed;
  int64_t newest_commit_ms = 0;
  bool any_unfinished = false;
  std::vector<Checkpoint> rows;
  for (const auto& [id, cp] : known_) rows.push_back(cp);
  std::sort(rows.begin(), rows.end(),
            [](const Checkpoint& a, const Checkpoint& b) { return a.updated_ms < b.updated_ms; });
  for (const Checkpoint& cp : rows) {
    const FileId id{cp.dev, cp.inode};
    newest_commit_ms = std::max(newest_commit_ms, cp.updated_ms);
    auto at = std::find_if(entries.begin(), entries.end(),
                           [&](const DirEntry& e) { return e.id == id && !e.gzip; });
    if (at != entries.end() && probe(*at, cp) != Resume::kResumeAt) {
      // The inode now belongs to another file (ours was deleted or compressed, the inode
      // reused): that file is new, and ours is looked for elsewhere.
      spdlog::info("tail: path={} inode={} now holds another file than the checkpoint's",
                   dir_ + "/" + at->name, cp.inode);
      known_.erase(id);
      at = entries.end();
    } else if (at != entries.end() && at->matches) {
      continue;  // still at a matching name: openMatch resumes it
    }
    if (cp.state == CheckpointState::kDone) {
      // Read to its end: remembered while it exists, forgotten once gone.
      if (at == entries.end()) {
        erased_.push_back(cp);
        known_.erase(id);
      }
      continue;
    }
    any_unfinished = true;
    std::unique_ptr<TailedFile> file;
    if (at != entries.end()) {
      file = openPlain(*at, false, /*resume_only=*/true);  // consumes the row on a match
      if (file) ++counters_.resumed_from_rotated;
    }
    if (!file) {
      // copytruncate (or `copy`) while stopped: the unread rest is in a copy with a new inode.
      for (const DirEntry& e : entries) {
        if (e.gzip || compressedName(e.name) || e.id == id || findOpen(e.id) != nullptr ||
            known_.contains(e.id) || e.size < cp.offset) {
          continue;
        }
        file = openPlain(e, false, /*resume_only=*/true, &cp);
        if (!file) continue;
        ++counters_.resumed_from_rotated;
        known_.erase(id);
        erased_.push_back(cp);
        break;
      }
    }
    if (!file) {
      for (const DirEntry& e : entries) {
        if (!e.gzip) continue;
        file = openGzip(e, &cp);
        if (!file) continue;
        // Its row moves to the .gz's own identity: the old inode may already be reused.
        ++counters_.resumed_from_gzip;
        known_.erase(id);
        erased_.push_back(cp);
        spdlog::info(
            "tail: path={} inode={} was rotated and compressed while stopped; reading {} "
            "from offset {}",
            cp.path, cp.inode, file->path, cp.offset);
        break;
      }
    }
    if (file) {
      resumed.push_back(std::move(file));
      continue;
    }
    if (cp.size > cp.offset) {
      spdlog::warn(
          "tail: path={} inode={} had {} unread bytes at the last checkpoint but is gone (not "
          "found among the files in {}); those lines are lost",
          cp.path, cp.inode, cp.size - cp.offset, dir_);
    }
    erased_.push_back(cp);
    known_.erase(id);
  }

  // Generations rotated out after our last commit that we never saw (rotated twice while
  // stopped): they hold lines written while we were away. Read them whole, oldest first, after
  // the file we were reading. A generation is a sibling named after a log we followed (the
  // path, or for a glob the names its live files had), newer than the last commit, that is
  // none of the files we know: not by inode, and not by content (a .gz of a known file).
  if (any_unfinished && !first_run_) {
    std::vector<std::string> stems;
    if (!glob_) stems.push_back(pattern_);
    for (const Checkpoint& cp : rows) {
      if (glob_ && cp.state == CheckpointState::kLive) {
        stems.push_back(fs::path(cp.path).filename().string());
      }
    }
    auto named_after_a_log = [&](const std::string& name) {
      return std::any_of(stems.begin(), stems.end(), [&](const std::string& stem) {
        return name.size() > stem.size() && name.starts_with(stem);
      });
    };
    // A copy of a file we read (a .gz of it, logrotate `copy`): same head, and the same bytes
    // just before the offset we reached in it.
    auto is_known_content = [&](const DirEntry& e) {
      const std::optional<std::string> head = headOf(e);
      if (!head) return true;  // unreadable now: not ours to guess about
      return std::any_of(rows.begin(), rows.end(), [&](const Checkpoint& cp) {
        const bool same_head = cp.head_len > 0 && cp.head_len <= head->size() &&
                               fingerprintOf(std::string_view(*head).substr(0, cp.head_len)) ==
                                   Fingerprint{cp.head_len, cp.head_hash};
        return same_head && holdsContentOf(e, cp);
      });
    };
    std::vector<const DirEntry*> unseen;
    for (const DirEntry& e : entries) {
      // Commit times are file times (fileClockNowMs): a file written after the commit has an
      // mtime at or past it; the same tick counts as after.
      if (e.matches || e.mtime_ms < newest_commit_ms || !named_after_a_log(e.name)) continue;
      if (!e.gzip && compressedName(e.name)) continue;  // only gzip can be read
      const bool open_now = std::any_of(resumed.begin(), resumed.end(),
                                        [&](const auto& f) { return f->id == e.id; }) ||
                            findOpen(e.id) != nullptr;
      if (open_now || known_.contains(e.id)) continue;
      // gzip at work (logrotate's delaycompress): the source is still there beside the .gz.
      if (e.gzip && std::any_of(entries.begin(), entries.end(), [&](const DirEntry& other) {
            return other.name == e.name.substr(0, e.name.size() - 3);
          })) {
        continue;
      }
      if (is_known_content(e)) continue;
      unseen.push_back(&e);
    }
    std::sort(unseen.begin(), unseen.end(),
              [](const DirEntry* a, const DirEntry* b) { return a->mtime_ms < b->mtime_ms; });
    for (const DirEntry* e : unseen) {
      std::unique_ptr<TailedFile> file;
      if (e->gzip) {
        file = openGzip(*e, nullptr);
      } else {
        file = openPlain(*e, false, false);
        if (file) file->role = TailedFile::Role::kRotated;
      }
      if (file) {
        spdlog::info("tail: path={} was rotated while stopped and never read; reading it whole",
                     file->path);
        resumed.push_back(std::move(file));
      }
    }
  }
  // Oldest first, in front of the files already open.
  for (auto it = resumed.rbegin(); it != resumed.rend(); ++it) adopt(std::move(*it), true);
}

bool Follower::holdsContentOf(const DirEntry& entry, const Checkpoint& cp) {
  if (entry.gzip) return openGzip(entry, &cp) != nullptr;
  UniqueFd fd = openForReading(dir_ + "/" + entry.name);
  if (!fd) return false;
  Candidate candidate{std::nullopt, entry.size, std::nullopt, std::nullopt};
  if (auto head = readAt(fd.get(), 0, cp.head_len)) candidate.head = fingerprintOf(*head);
  if (cp.offset >= cp.marker_len) {
    if (auto m = readAt(fd.get(), cp.offset - cp.marker_len, cp.marker_len)) {
      candidate.marker = fingerprintOf(*m);
    }
  }
  return resumeDecision(cp, candidate) == Resume::kResumeAt;
}

std::optional<std::string> Follower::headOf(const DirEntry& entry) const {
  const std::string path = dir_ + "/" + entry.name;
  UniqueFd fd = openForReading(path);
  if (!fd) return std::nullopt;
  std::string head(kHeadBytes, '\0');
  if (!entry.gzip) {
    const ssize_t n = preadFull(fd.get(), head.data(), head.size(), 0);
    if (n < 0) return std::nullopt;
    head.resize(static_cast<std::size_t>(n));
    return head;
  }
  GzHandle gz(gzdopen(fd.release(), "rb"));
  if (!gz) return std::nullopt;
  const int n = gzread(gz.get(), head.data(), static_cast<unsigned>(head.size()));
  if (n < 0) return std::nullopt;
  head.resize(static_cast<std::size_t>(n));
  return head;
}

void Follower::adopt(std::unique_ptr<TailedFile> file, bool front) {
  ++counters_.files_opened;
  structure_changed_ = true;
  watchFile(*file);
  spdlog::debug("tail: path={} inode={} opened at offset {}", file->path, file->id.inode,
                file->splitter.lineOffset());
  file->check = true;
  if (front) {
    files_.insert(files_.begin(), std::move(file));
  } else {
    files_.push_back(std::move(file));
  }
}

void Follower::watchFile(TailedFile& file) {
  if (!file.fd || file.watch != 0) return;
  WatchResult r = watcher_.watchOpenFile(file.fd.get(), file.path, *this);
  if (r.ok()) {
    file.watch = r.handle;
    return;
  }
  if (!file.watch_warned) {
    file.watch_warned = true;
    spdlog::warn("tail: path={} {}; checking it every {} instead", file.path, r.message,
                 formatDuration(pollInterval()));
    counters_.countError(r.failure == WatchFailure::kLimit ? TailErrorKind::kWatchLimit
                                                           : TailErrorKind::kIo);
  }
}

bool Follower::degraded() const {
  if (bad_pattern_) return false;
  if (dir_handle_ == 0) return true;
  return std::any_of(files_.begin(), files_.end(),
                     [](const auto& f) { return f->fd && f->watch == 0; });
}

Millis Follower::pollInterval() const {
  return std::min<Millis>(config_.safety_check, kDegradedPollInterval);
}

std::string Follower::awaitedName() const {
  // The component below the watched ancestor that leads to our directory.
  const fs::path rel = fs::path(dir_).lexically_relative(watched_path_);
  return rel.empty() ? std::string() : rel.begin()->string();
}

void Follower::onWatchEvent(WatchHandle handle, const WatchEvent& event) {
  if (handle == dir_handle_) {
    if ((event.what & kWatchSelfGone) != 0 || (event.name.empty() && event.what != 0)) {
      dir_check_pending_ = true;
    } else if (!dir_present_) {
      if (event.name != awaitedName()) return;  // a busy ancestor (/tmp, /var/log): not ours
      dir_check_pending_ = true;
    } else if ((event.what & kWatchChild) != 0 && isCandidate(event.name)) {
      rescan_pending_ = true;
    } else {
      return;
    }
  } else {
    auto it = std::find_if(files_.begin(), files_.end(),
                           [&](const auto& f) { return f->watch == handle; });
    if (it == files_.end()) return;
    (*it)->check = true;
    if ((event.what & kWatchSelfGone) != 0) rescan_pending_ = true;
  }
  if (wake_) wake_();
}

void Follower::onWatchOverflow() {
  full_check_pending_ = true;
  if (wake_) wake_();
}

void Follower::requestFullCheck() {
  full_check_pending_ = true;
  if (wake_) wake_();
}

void Follower::deliver(TailedFile& file, const LineSplitter::Piece& piece, LineConsumer& consumer) {
  Line line;
  line.source = index_;
  line.path = file.path;
  line.file = file.id;
  line.end_offset = piece.end_offset;
  line.text = piece.text;
  line.cut = piece.cut;
  if (piece.cut) {
    ++counters_.lines_cut;
    // Log content is attacker-controlled: one warning per kCutWarnInterval, with a count.
    const auto now = clock_.steadyNow();
    ++cut_unreported_;
    if (now - last_cut_warning_ >= kCutWarnInterval || last_cut_warning_ == SteadyTime{}) {
      spdlog::warn(
          "tail: path={} inode={} {} line(s) longer than max_line_bytes ({}) were cut to that "
          "length (the latest ending at offset {})",
          file.path, file.id.inode, cut_unreported_, config_.max_line_bytes, piece.end_offset);
      last_cut_warning_ = now;
      cut_unreported_ = 0;
    }
  }
  ++counters_.lines_delivered;
  consumer.onLine(line);
}

void Follower::look(TailedFile& file, LineConsumer& consumer, std::size_t& lines) {
  if (!file.fd) return;
  struct stat st {};
  if (::fstat(file.fd.get(), &st) != 0) {
    counters_.countError(TailErrorKind::kIo);
    return;
  }
  const LineSplitter& sp = file.splitter;
  Tracked tracked{file.id, sp.lineOffset(), sp.readOffset(), file.size, sp.marker()};
  Observed now;
  now.size = static_cast<uint64_t>(st.st_size);
  now.nlink = static_cast<uint32_t>(st.st_nlink);
  if (tracked.line_offset > 0 && tracked.marker.len > 0 && now.size >= tracked.line_offset) {
    if (auto m =
            readAt(file.fd.get(), tracked.line_offset - tracked.marker.len, tracked.marker.len)) {
      now.marker_now = fingerprintOf(*m);
    }
  }
  now.at_path = std::exchange(file.at_pattern, std::nullopt);
  const Decision d = reconcile(tracked, now);
  if (d.action == Action::kResetToZero) {
    if (auto piece = file.splitter.flush()) {
      ++counters_.partial_lines_flushed;
      deliver(file, *piece, consumer);
      ++lines;
    }
    ++counters_.truncations;
    counters_.bytes_lost_to_truncation += d.bytes_lost;
    if (now.size < tracked.read_offset) {
      spdlog::warn("tail: path={} inode={} truncated (offset {} > size {}){}", file.path,
                   file.id.inode, tracked.read_offset, now.size,
                   d.bytes_lost > 0
                       ? fmt::format("; at least {} unread bytes were lost (copytruncate loses "
                                     "what is written between its copy and its truncate)",
                                     d.bytes_lost)
                       : std::string("; reading from 0"));
    } else {
      spdlog::warn(
          "tail: path={} inode={} truncated and rewritten (the bytes before offset {} changed, "
          "size {}); reading from 0",
          file.path, file.id.inode, tracked.line_offset, now.size);
    }
    file.splitter.reset(0);
  }
  if (file.role == TailedFile::Role::kLive &&
      (d.path == PathChange::kNewFile || d.path == PathChange::kGone)) {
    std::string how = d.path == PathChange::kNewFile ? "another file is at its path now"
                                                     : "nothing is at its path now";
    if (!file.renamed_from.empty()) how += "; renamed from " + file.renamed_from;
    markRotated(file, how.c_str());
  } else if (file.role == TailedFile::Role::kRotated && d.path == PathChange::kSame) {
    file.role = TailedFile::Role::kLive;  // renamed back
  }
  file.renamed_from.clear();
  if (d.deleted && file.role != TailedFile::Role::kDeleted &&
      file.role != TailedFile::Role::kCompressed) {
    if (file.role == TailedFile::Role::kLive) ++counters_.rotations;
    file.role = TailedFile::Role::kDeleted;
    rescan_pending_ = true;  // a successor may appear at the path
    spdlog::info("tail: path={} inode={} deleted; reading what is left, then closing it", file.path,
                 file.id.inode);
  }
  file.size = now.size;
}

bool Follower::readChunk(TailedFile& file, LineConsumer& consumer, std::size_t& lines) {
  std::span<char> room = file.splitter.prepare();
  if (room.empty()) return false;
  ssize_t n = 0;
  if (file.gz) {
    n = gzread(file.gz.get(), room.data(), static_cast<unsigned>(room.size()));
    if (n < 0) {
      int errnum = 0;
      const char* message = gzerror(file.gz.get(), &errnum);
      if (!file.read_error_reported) {
        spdlog::error("tail: path={} reading the compressed file failed: {}; skipping its rest",
                      file.path, message);
      }
      file.read_error_reported = true;
      counters_.countError(TailErrorKind::kIo);
      file.eof = true;
      return false;
    }
  } else {
    do {
      n = ::pread(file.fd.get(), room.data(), room.size(),
                  static_cast<off_t>(file.splitter.readOffset()));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (!file.read_error_reported) {
        spdlog::error("tail: path={} inode={} read failed: {}", file.path, file.id.inode,
                      std::strerror(errno));
      }
      file.read_error_reported = true;
      counters_.countError(TailErrorKind::kIo);
      file.eof = true;
      return false;
    }
  }
  const uint64_t nul_before = file.splitter.nulBytesSkipped();
  file.splitter.commit(static_cast<std::size_t>(n));
  counters_.bytes_read += static_cast<uint64_t>(n);
  if (n > 0) file.last_activity = clock_.steadyNow();
  while (auto piece = file.splitter.next()) {
    deliver(file, *piece, consumer);
    ++lines;
  }
  counters_.nul_bytes_skipped += file.splitter.nulBytesSkipped() - nul_before;
  file.eof = static_cast<std::size_t>(n) < room.size();
  return !file.eof;
}

void Follower::closeFile(std::size_t index, LineConsumer& consumer, std::size_t& lines,
                         const char* why) {
  TailedFile& file = *files_[index];
  if (auto piece = file.splitter.flush()) {
    ++counters_.partial_lines_flushed;
    deliver(file, *piece, consumer);
    ++lines;
  }
  if (file.watch != 0) watcher_.unwatch(file.watch);
  spdlog::info("tail: path={} inode={} closed ({}) at offset {}", file.path, file.id.inode, why,
               file.splitter.lineOffset());
  Checkpoint cp = checkpointOf(file, 0);  // updated_ms is set when staged
  cp.state = CheckpointState::kDone;
  closed_rows_.push_back(cp);
  // A rotated file still exists: remember it, so that it is not read again if a glob matches
  // it later. A deleted or compressed one only needs its row to say "finished".
  if (file.role == TailedFile::Role::kRotated) remember(cp);
  ++counters_.files_closed;
  structure_changed_ = true;
  files_.erase(files_.begin() + static_cast<std::ptrdiff_t>(index));
}

void Follower::remember(const Checkpoint& cp) {
  known_[FileId{cp.dev, cp.inode}] = cp;
  if (known_.size() <= kMaxRememberedFiles) return;
  auto oldest = std::min_element(known_.begin(), known_.end(), [](const auto& a, const auto& b) {
    return a.second.updated_ms < b.second.updated_ms;
  });
  erased_.push_back(oldest->second);
  known_.erase(oldest);
}

void Follower::housekeeping(LineConsumer& consumer, std::size_t& lines, bool& more) {
  const SteadyTime now = clock_.steadyNow();
  for (std::size_t i = 0; i < files_.size();) {
    TailedFile& f = *files_[i];
    bool close = false;
    const char* why = "";
    if (f.role == TailedFile::Role::kCompressed) {
      close = f.eof;
      why = "compressed file read to its end";
    } else if (f.role != TailedFile::Role::kLive && f.eof && !f.check) {
      const auto quiet = f.role == TailedFile::Role::kDeleted
                             ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::min<Millis>(kDeletedQuiet, config_.rotate_grace))
                             : std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   config_.rotate_grace);
      if (now - f.last_activity >= quiet) {
        // One last look: nothing may be left behind. Bytes found keep it open (read in the
        // next turns, one chunk at a time) and restart its quiet time.
        look(f, consumer, lines);
        if (readChunk(f, consumer, lines)) {
          f.check = true;
          more = true;
        }
        close = f.eof && !f.check && now - f.last_activity >= quiet;
        why = f.role == TailedFile::Role::kDeleted ? "deleted and drained"
                                                   : "rotated, drained and quiet";
      }
    }
    if (!close && f.eof && !f.check && f.splitter.held() == 0 &&
        now - f.last_activity >= kIdleBufferRelease) {
      f.splitter.release();  // an idle log keeps no read buffer
    }
    if (close) {
      closeFile(i, consumer, lines, why);
    } else {
      ++i;
    }
  }
}

std::optional<SteadyTime> Follower::nextDeadline() const {
  std::optional<SteadyTime> next;
  for (const auto& f : files_) {
    if (f->role == TailedFile::Role::kLive || f->role == TailedFile::Role::kCompressed) continue;
    const Millis quiet = f->role == TailedFile::Role::kDeleted
                             ? std::min<Millis>(kDeletedQuiet, config_.rotate_grace)
                             : config_.rotate_grace;
    const SteadyTime due = f->last_activity + quiet;
    if (!next || due < *next) next = due;
  }
  return next;
}

std::size_t Follower::turn(LineConsumer& consumer, bool& more) {
  std::size_t lines = 0;
  if (bad_pattern_) return 0;
  if (full_check_pending_) {
    full_check_pending_ = false;
    dir_check_pending_ = true;
    rescan_pending_ = true;
    for (auto& f : files_) {
      f->check = true;
      watchFile(*f);  // a watch that failed (limit reached) may succeed now
    }
  }
  if (dir_check_pending_) {
    dir_check_pending_ = false;
    armDirectory();
    rescan_pending_ = true;
  }
  if (rescan_pending_) {
    rescan_pending_ = false;
    rescan(false);
  }
  for (auto& fp : files_) {
    TailedFile& f = *fp;
    if (!f.check) continue;
    look(f, consumer, lines);
    if (readChunk(f, consumer, lines)) {
      more = true;
      // A plain path's files are generations of one log: nothing newer is read until the
      // older one is drained, so lines come in the order they were written.
      if (!glob_) break;
    } else {
      f.check = false;
    }
  }
  housekeeping(consumer, lines, more);
  if (rescan_pending_) more = true;
  return lines;
}

Checkpoint Follower::checkpointOf(const TailedFile& file, int64_t now_ms) const {
  Checkpoint cp;
  cp.source = source_.key;
  cp.dev = file.id.dev;
  cp.inode = file.id.inode;
  cp.path = file.path;
  cp.offset = file.splitter.lineOffset();
  cp.size = file.role == TailedFile::Role::kCompressed ? cp.offset : file.size;
  const Fingerprint head = file.splitter.head();
  const Fingerprint marker = file.splitter.marker();
  cp.head_len = head.len;
  cp.head_hash = head.hash;
  cp.marker_len = marker.len;
  cp.marker_hash = marker.hash;
  cp.skip_line = file.splitter.skippingLine();
  cp.state =
      file.role == TailedFile::Role::kLive ? CheckpointState::kLive : CheckpointState::kRotated;
  cp.updated_ms = now_ms;
  return cp;
}

bool Follower::stageCheckpoints(CheckpointStore& store, int64_t now_ms) {
  bool changed = false;
  for (const Checkpoint& cp : erased_) {
    store.stageErase(cp.source, cp.dev, cp.inode);
    changed = true;
  }
  erased_.clear();
  for (Checkpoint& cp : closed_rows_) {
    cp.updated_ms = now_ms;
    store.stage(cp);
    changed = true;
  }
  closed_rows_.clear();
  for (auto& f : files_) {
    Checkpoint cp = checkpointOf(*f, now_ms);
    if (f->staged && f->staged->offset == cp.offset && f->staged->state == cp.state &&
        f->staged->path == cp.path && f->staged->skip_line == cp.skip_line) {
      continue;
    }
    store.stage(cp);
    f->staged = cp;
    changed = true;
  }
  return changed;
}

std::vector<PathLag> Follower::lag() const {
  std::vector<PathLag> out;
  for (const auto& f : files_) {
    const uint64_t at = f->splitter.lineOffset();
    out.push_back({index_, f->path, f->size > at ? f->size - at : 0});
  }
  return out;
}

}  // namespace gw
