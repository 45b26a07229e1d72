// Splits the bytes of one file into lines, allocation-free per line. A partial last line is held
// until its newline arrives; a line longer than max_line_bytes is cut (its head delivered, the
// rest skipped up to its newline) so memory stays bounded whatever the file holds; NUL bytes
// where a line would start (the hole a writer without O_APPEND leaves after a truncation) are
// skipped. One splitter per file: bytes of two files are never joined.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "tail/fingerprint.h"

namespace gw {

// Bytes read from one file per turn: large enough to keep up with a busy log in few syscalls,
// small enough that one busy file cannot starve the others (see follower.h, round robin).
inline constexpr std::size_t kReadChunkBytes = 64 * 1024;

class LineSplitter {
 public:
  struct Piece {
    std::string_view text;  // without '\n'; valid until the next prepare() or reset()
    uint64_t end_offset;    // file offset just past the line (or past the bytes consumed)
    bool cut;               // longer than max_line_bytes: text is its first max_line_bytes
  };

  explicit LineSplitter(std::size_t max_line_bytes, std::size_t read_chunk = kReadChunkBytes);

  // Starts over at `offset`, dropping anything held. `marker`: the file's bytes just before
  // offset (up to kMarkerBytes); `head`: its bytes [0, min(kHeadBytes, offset)). skip_line:
  // `offset` is inside a line that must not be delivered (the rest of a line already cut, or
  // start_at end landing mid-line): skip up to its newline.
  void reset(uint64_t offset, std::string_view marker = {}, std::string_view head = {},
             bool skip_line = false);

  // Room to read the next chunk into (allocates the buffer on first use). Invalidates the
  // views of earlier pieces. Empty only if the caller did not drain next() first.
  std::span<char> prepare();
  // `n` bytes were read into prepare()'s span.
  void commit(std::size_t n);
  // The next complete line, or nullopt when only a partial line (or nothing) is held.
  std::optional<Piece> next();
  // The file ended for good (closed, or truncated): hands out held bytes as a last line.
  std::optional<Piece> flush();

  // First byte not delivered: always a line start (or inside a cut line, see skippingLine()).
  // This is what a checkpoint saves.
  uint64_t lineOffset() const { return base_offset_ + begin_; }
  // Next byte to read from the file.
  uint64_t readOffset() const { return base_offset_ + end_; }
  std::size_t held() const { return end_ - begin_; }
  bool skippingLine() const { return skipping_; }

  // Fingerprints of the bytes already consumed (see fingerprint.h).
  Fingerprint marker() const;  // bytes just before lineOffset()
  Fingerprint head() const;    // bytes [0, min(kHeadBytes, lineOffset())), as far as known
  // Copies of the same bytes, for a fresh splitter on the same file.
  std::string_view markerBytes() const;
  std::string_view headBytes() const;

  // Frees the buffer when nothing is held (an idle file keeps no 128 KiB around).
  void release();

  uint64_t linesCut() const { return lines_cut_; }
  uint64_t nulBytesSkipped() const { return nul_skipped_; }

 private:
  void compact();
  void captureHead() const;
  void computeMarker() const;
  // Consumes [begin_, to) without delivering it.
  void consumeTo(std::size_t to) { begin_ = to; }

  std::size_t max_line_;
  std::size_t chunk_;
  std::size_t capacity_;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0;     // first byte not consumed
  std::size_t end_ = 0;       // end of valid data
  std::size_t scan_ = 0;      // no '\n' in [begin_, scan_)
  uint64_t base_offset_ = 0;  // file offset of buf_[0]
  bool skipping_ = false;

  // Marker bytes ending at base_offset_ (saved when the buffer is compacted).
  std::array<char, kMarkerBytes> saved_marker_{};
  std::size_t saved_marker_len_ = 0;
  // Scratch for marker(): bytes ending at lineOffset(). Mutable: computed on demand.
  mutable std::array<char, kMarkerBytes> marker_{};
  mutable std::size_t marker_len_ = 0;
  mutable std::array<char, kHeadBytes> head_{};
  mutable std::size_t head_len_ = 0;

  uint64_t lines_cut_ = 0;
  uint64_t nul_skipped_ = 0;
};

}  // namespace gw
