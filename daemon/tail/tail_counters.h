// Counters of the tail stage, for /metrics and as test oracles. Plain values: the follower and
// the service run on one thread and hand out copies.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace gw {

enum class TailErrorKind : uint8_t {
  kPermission,  // a log file or directory not readable by the service user
  kWatchLimit,  // inotify watch limit reached: the path is checked periodically instead
  kIo,          // read or stat failed
  kBadPattern,  // a glob with wildcards in a directory name
  kCheckpoint,  // committing checkpoints failed (disk full, read-only)
  kCount,
};
const char* toString(TailErrorKind kind);

struct TailCounters {
  uint64_t lines_delivered = 0;
  uint64_t lines_cut = 0;              // longer than max_line_bytes
  uint64_t partial_lines_flushed = 0;  // a last line without '\n' delivered when its file ended
  uint64_t nul_bytes_skipped = 0;      // holes left by writers without O_APPEND
  uint64_t bytes_read = 0;
  uint64_t truncations = 0;  // copytruncate, `> file`, truncate-and-regrow
  uint64_t bytes_lost_to_truncation =
      0;                   // seen but unread when a truncation happened (lower bound)
  uint64_t rotations = 0;  // a followed file renamed away (or replaced at its path)
  uint64_t files_opened = 0;
  uint64_t files_closed = 0;
  uint64_t resumed_from_rotated = 0;  // restarts that found their file among rotated siblings
  uint64_t resumed_from_gzip = 0;     // ... inside a .gz
  uint64_t queue_overflows = 0;
  uint64_t checkpoint_commits = 0;
  std::array<uint64_t, static_cast<std::size_t>(TailErrorKind::kCount)> errors{};

  uint64_t error(TailErrorKind kind) const { return errors[static_cast<std::size_t>(kind)]; }
  void countError(TailErrorKind kind) { ++errors[static_cast<std::size_t>(kind)]; }
  TailCounters& operator+=(const TailCounters& other);
};

// How far the reader is behind one open file.
struct PathLag {
  std::size_t source = 0;
  std::string path;
  uint64_t lag_bytes = 0;  // file size at the last look minus the delivered offset
};

}  // namespace gw
