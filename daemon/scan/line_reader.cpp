#include "scan/line_reader.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace gw {

struct LineReader::GzHandle {
  gzFile file = nullptr;
  ~GzHandle() {
    if (file != nullptr) gzclose(file);
  }
};

LineReader::LineReader(std::string path)
    : path_(std::move(path)), gz_(std::make_unique<GzHandle>()) {}

LineReader::~LineReader() = default;

Result<std::unique_ptr<LineReader>> LineReader::open(const std::string& path) {
  std::unique_ptr<LineReader> reader(new LineReader(path));
  errno = 0;
  // gzopen reads plain files transparently, so rotated `.1` and `.2.gz` take the same path.
  reader->gz_->file = gzopen(path.c_str(), "rb");
  if (reader->gz_->file == nullptr) {
    const int err = errno;
    std::string why = err ? std::strerror(err) : "cannot open";
    std::string hint;
    if (err == EACCES) hint = " (the user running gatewatch needs read access, e.g. group adm)";
    return Error{"cannot open " + path + ": " + why + hint};
  }
  gzbuffer(reader->gz_->file, 256 * 1024);
  reader->buffer_.resize(kMaxLineBytes + kReadChunkBytes);
  return reader;
}

uint64_t LineReader::bytesConsumed() const {
  const auto offset = gzoffset(gz_->file);
  return offset < 0 ? 0 : uint64_t(offset);
}

bool LineReader::refill() {
  if (eof_) return false;
  // Move the unread tail to the front, then fill what is free.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t room = buffer_.size() - end_;
  if (room == 0) return true;
  const int n = gzread(gz_->file, buffer_.data() + end_, unsigned(room));
  if (n < 0) {
    int zerr = 0;
    const char* msg = gzerror(gz_->file, &zerr);
    error_ = "read error in " + path_ + ": " + (msg ? msg : "unknown") +
             (zerr == Z_DATA_ERROR ? " (corrupt or truncated gzip file)" : "");
    eof_ = true;
    return false;
  }
  if (n == 0) {
    eof_ = true;
    // A gzip file cut short reads as end of file with Z_BUF_ERROR: say so rather than be silent.
    int zerr = 0;
    gzerror(gz_->file, &zerr);
    if (zerr == Z_BUF_ERROR) error_ = path_ + ": gzip stream ends early (file truncated?)";
    return false;
  }
  end_ += std::size_t(n);
  return true;
}

bool LineReader::next(std::string_view& line) {
  for (;;) {
    const char* data = buffer_.data();
    const char* start = data + begin_;
    const std::size_t available = end_ - begin_;
    const void* nl = available ? std::memchr(start, '\n', available) : nullptr;
    if (nl != nullptr) {
      const std::size_t len = std::size_t(static_cast<const char*>(nl) - start);
      begin_ += len + 1;
      if (skipping_overlong_) {
        skipping_overlong_ = false;
        continue;  // the tail of a line already delivered cut
      }
      ++line_number_;
      line = std::string_view(start, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() > kMaxLineBytes) {
        line = line.substr(0, kMaxLineBytes);
        ++lines_cut_;
      }
      return true;
    }
    if (available >= kMaxLineBytes && !skipping_overlong_) {
      // No newline within the limit: deliver the first kMaxLineBytes, drop the rest of the line.
      ++line_number_;
      ++lines_cut_;
      line = std::string_view(start, kMaxLineBytes);
      begin_ = end_;
      skipping_overlong_ = true;
      return true;
    }
    if (skipping_overlong_) begin_ = end_;
    if (!refill()) {
      if (end_ > begin_ && !skipping_overlong_) {
        // The last line of the file has no newline: deliver it as it is.
        ++line_number_;
        line = std::string_view(buffer_.data() + begin_, end_ - begin_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        begin_ = end_;
        return true;
      }
      return false;
    }
  }
}

}  // namespace gw
