#include "pipeline/warmup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace gw {
namespace {

// Lines longer than this are cut in warm-up; the tail stage's own limit is for the live path.
constexpr std::size_t kWarmupBufferBytes = 1024 * 1024;

std::optional<struct stat> statOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

}  // namespace

std::optional<WarmupRange> warmupRange(const std::string& path, StartAt start_at,
                                       const std::vector<Checkpoint>& checkpoints,
                                       uint64_t max_bytes) {
  const Checkpoint* live = nullptr;
  for (const auto& cp : checkpoints) {
    if (cp.state == CheckpointState::kDone) continue;
    if (!live || cp.updated_ms >= live->updated_ms) live = &cp;
  }
  auto rangeTo = [&](const std::string& file, uint64_t end) {
    return WarmupRange{file, end > max_bytes ? end - max_bytes : 0, end};
  };
  if (live) {
    for (const std::string& candidate : {path, path + ".1"}) {
      auto st = statOf(candidate);
      if (st && uint64_t(st->st_dev) == live->dev && uint64_t(st->st_ino) == live->inode)
        return rangeTo(candidate, std::min<uint64_t>(live->offset, uint64_t(st->st_size)));
    }
    return std::nullopt;  // the file moved further away: the tail stage finds it, we don't
  }
  if (start_at == StartAt::kBeginning) return std::nullopt;
  auto st = statOf(path);
  if (!st || !S_ISREG(st->st_mode)) return std::nullopt;
  return rangeTo(path, uint64_t(st->st_size));
}

std::vector<WarmupRange> warmupRanges(const std::string& path, StartAt start_at,
                                      const std::vector<Checkpoint>& checkpoints,
                                      uint64_t max_bytes) {
  std::vector<WarmupRange> out;
  auto current = warmupRange(path, start_at, checkpoints, max_bytes);
  if (!current) return out;
  if (current->path == path) {
    auto rotated = statOf(path + ".1");
    if (rotated && S_ISREG(rotated->st_mode) && current->end - current->begin < max_bytes) {
      const uint64_t size = uint64_t(rotated->st_size);
      const uint64_t room = max_bytes - (current->end - current->begin);
      out.push_back({path + ".1", size > room ? size - room : 0, size});
    }
  }
  if (current->begin < current->end) out.push_back(*current);
  return out;
}

WarmupReader::WarmupReader(const WarmupRange& range)
    : position_(range.begin), end_(range.end), skip_first_(range.begin > 0) {
  fd_ = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ >= 0 && skip_first_) {
    // Starting exactly at a line start needs the byte before it.
    char before = 0;
    if (::pread(fd_, &before, 1, off_t(range.begin - 1)) == 1 && before == '\n')
      skip_first_ = false;
  }
  buffer_.resize(kWarmupBufferBytes);
}

WarmupReader::~WarmupReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool WarmupReader::fill() {
  if (start_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + start_, size_ - start_);
    size_ -= start_;
    start_ = 0;
  }
  if (position_ >= end_ || size_ == buffer_.size()) return false;
  const std::size_t want = std::min<uint64_t>(buffer_.size() - size_, end_ - position_);
  const ssize_t n = ::pread(fd_, buffer_.data() + size_, want, off_t(position_));
  if (n <= 0) {
    end_ = position_;  // shrunk or unreadable: stop here
    return false;
  }
  size_ += std::size_t(n);
  position_ += uint64_t(n);
  return true;
}

bool WarmupReader::next(std::string_view& line) {
  if (fd_ < 0) return false;
  for (;;) {
    const char* begin = buffer_.data() + start_;
    const std::size_t available = size_ - start_;
    const void* newline = std::memchr(begin, '\n', available);
    if (newline) {
      const std::size_t length = std::size_t(static_cast<const char*>(newline) - begin);
      start_ += length + 1;
      if (skip_first_) {
        skip_first_ = false;
        continue;
      }
      line = std::string_view(begin, length);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    if (fill()) continue;
    if (size_ - start_ == buffer_.size()) {
      // A line longer than the buffer: its head stands for it.
      line = std::string_view(buffer_.data(), size_);
      start_ = size_;
      skip_first_ = true;  // drop the rest of it
      return true;
    }
    return false;  // the range ends inside a line: the tail stage delivers it
  }
}

}  // namespace gw
