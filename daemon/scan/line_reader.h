// LineReader: reads one file, plain or gzip (zlib detects which), as a sequence of lines without
// their '\n' (and '\r'). Lines longer than a limit are cut and counted; the reader never grows
// its buffer past that limit.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace gw {

class LineReader {
 public:
  static constexpr std::size_t kReadChunkBytes = 1 << 20;  // one zlib/read call
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;  // longer lines are cut and counted

  static Result<std::unique_ptr<LineReader>> open(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line; false at end of file. The view stays valid until the next call.
  // An I/O or decompression error ends the file early: error() then says what happened.
  bool next(std::string_view& line);

  uint64_t lineNumber() const { return line_number_; }
  uint64_t linesCut() const { return lines_cut_; }
  // Bytes consumed from the file on disk (compressed bytes for .gz), for progress.
  uint64_t bytesConsumed() const;
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  explicit LineReader(std::string path);
  bool refill();

  struct GzHandle;
  std::string path_;
  std::unique_ptr<GzHandle> gz_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of unread data in buffer_
  std::size_t end_ = 0;    // end of valid data in buffer_
  bool eof_ = false;
  bool skipping_overlong_ = false;  // inside the rest of a line that was already cut
  uint64_t line_number_ = 0;
  uint64_t lines_cut_ = 0;
  std::string error_;
};

}  // namespace gw
