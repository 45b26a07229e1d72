// The small plain types between the tail stage and its consumer: a file's identity and one
// delivered line. Lines arrive once, in order per file, without the trailing '\n'.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gw {

// A file's identity while it exists: device and inode. Inodes are reused after a file is
// deleted, so across restarts it is checked together with content fingerprints.
struct FileId {
  uint64_t dev = 0;
  uint64_t inode = 0;
  auto operator<=>(const FileId&) const = default;
};

struct Line {
  std::size_t source = 0;  // index of the TailSource this line came from
  std::string_view path;   // the file's path (its latest known name)
  FileId file;
  uint64_t end_offset = 0;  // file offset just past this line and its '\n'
  std::string_view text;    // without the '\n'; valid only during onLine()
  bool cut = false;         // the line was longer than max_line_bytes: text is its head
};

// Receives lines. Called on the io_context's thread; must not block for long (the follower
// reads no more until onLine returns, which is the backpressure).
class LineConsumer {
 public:
  virtual ~LineConsumer() = default;
  virtual void onLine(const Line& line) = 0;
  // The lines delivered so far are handed over: called after each read turn that delivered
  // lines and always before a checkpoint covering them is committed. A consumer that buffers
  // output flushes it here, so whatever a checkpoint covers has been passed on.
  virtual void onBatchEnd() {}
};

}  // namespace gw
