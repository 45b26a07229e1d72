// Warm-up: the recent past of each log, read again at start so the windows (and the alert context
// rings) hold what they held before a restart. Which bytes: those before the position the tail
// stage resumes from, back to at most kMaxWarmupBytes; the pipeline keeps only lines within the
// warm-up span of the newest one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "store/checkpoint_store.h"

namespace gw {

// A byte range of one file to read again: [begin, end), begin moved to a line start.
struct WarmupRange {
  std::string path;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Where the tail stage will resume `path` (a plain path, not a glob): the live checkpoint's file
// and offset when there is one and the file is still there (at its path or rotated to path.1);
// without a checkpoint, start_at end resumes at the end of the file, so everything before it is
// history; start_at beginning reads the whole file anyway, so nothing is warmed up.
std::optional<WarmupRange> warmupRange(const std::string& path, StartAt start_at,
                                       const std::vector<Checkpoint>& checkpoints,
                                       uint64_t max_bytes);

// warmupRange() and, before it, the tail of the file rotated away just before (path.1, when
// plain): after a rotation the current file alone may hold only the last seconds.
std::vector<WarmupRange> warmupRanges(const std::string& path, StartAt start_at,
                                      const std::vector<Checkpoint>& checkpoints,
                                      uint64_t max_bytes);

// Reads the lines of a range, in order, through a fixed buffer (lines longer than it are cut).
class WarmupReader {
 public:
  explicit WarmupReader(const WarmupRange& range);
  ~WarmupReader();
  WarmupReader(const WarmupReader&) = delete;
  WarmupReader& operator=(const WarmupReader&) = delete;

  bool ok() const { return fd_ >= 0; }
  // The next line (without '\n'), valid until the next call; false at the end.
  bool next(std::string_view& line);

 private:
  bool fill();
  int fd_ = -1;
  uint64_t position_ = 0;  // file offset of buffer_[size_]
  uint64_t end_ = 0;
  std::vector<char> buffer_;
  std::size_t start_ = 0;    // first unconsumed byte in buffer_
  std::size_t size_ = 0;     // bytes in buffer_
  bool skip_first_ = false;  // begin fell inside a line: drop up to the first '\n'
};

}  // namespace gw
