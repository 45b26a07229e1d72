#include "tail/line_splitter.h"

#include <algorithm>
#include <cstring>

namespace gw {

LineSplitter::LineSplitter(std::size_t max_line_bytes, std::size_t read_chunk)
    : max_line_(std::max<std::size_t>(max_line_bytes, 1)),
      chunk_(std::max<std::size_t>(read_chunk, 1)),
      // A held partial line is below max_line_ bytes (longer ones are cut), so one more chunk
      // always fits behind it.
      capacity_(max_line_ + chunk_) {}

void LineSplitter::reset(uint64_t offset, std::string_view marker, std::string_view head,
                         bool skip_line) {
  begin_ = end_ = scan_ = 0;
  base_offset_ = offset;
  skipping_ = skip_line;
  marker = marker.substr(marker.size() > kMarkerBytes ? marker.size() - kMarkerBytes : 0);
  if (!marker.empty()) std::memcpy(saved_marker_.data(), marker.data(), marker.size());
  saved_marker_len_ = marker.size();
  head = head.substr(0, std::min<uint64_t>({head.size(), kHeadBytes, offset}));
  if (!head.empty()) std::memcpy(head_.data(), head.data(), head.size());
  head_len_ = head.size();
}

std::span<char> LineSplitter::prepare() {
  if (!buf_) buf_ = std::make_unique<char[]>(capacity_);
  if (begin_ > 0) compact();
  const std::size_t room = std::min(chunk_, capacity_ - end_);
  return {buf_.get() + end_, room};
}

void LineSplitter::commit(std::size_t n) { end_ = std::min(end_ + n, capacity_); }

void LineSplitter::compact() {
  captureHead();
  computeMarker();
  saved_marker_ = marker_;
  saved_marker_len_ = marker_len_;
  const std::size_t held_bytes = end_ - begin_;
  if (held_bytes > 0) std::memmove(buf_.get(), buf_.get() + begin_, held_bytes);
  base_offset_ += begin_;
  scan_ = scan_ > begin_ ? scan_ - begin_ : 0;
  begin_ = 0;
  end_ = held_bytes;
}

std::optional<LineSplitter::Piece> LineSplitter::next() {
  char* const data = buf_.get();
  while (begin_ < end_) {
    scan_ = std::max(scan_, begin_);
    if (skipping_) {
      const void* nl = std::memchr(data + scan_, '\n', end_ - scan_);
      if (nl == nullptr) {
        consumeTo(end_);
        scan_ = end_;
        return std::nullopt;
      }
      consumeTo(static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1);
      skipping_ = false;
      continue;
    }
    if (data[begin_] == '\0') {  // a hole left by a writer without O_APPEND
      std::size_t i = begin_;
      while (i < end_ && data[i] == '\0') ++i;
      nul_skipped_ += i - begin_;
      consumeTo(i);
      continue;
    }
    const void* nl = std::memchr(data + scan_, '\n', end_ - scan_);
    if (nl != nullptr) {
      const auto pos = static_cast<std::size_t>(static_cast<const char*>(nl) - data);
      const std::size_t len = pos - begin_;
      const bool cut = len > max_line_;
      Piece piece{{data + begin_, cut ? max_line_ : len}, base_offset_ + pos + 1, cut};
      if (cut) ++lines_cut_;
      consumeTo(pos + 1);
      return piece;
    }
    scan_ = end_;
    if (end_ - begin_ >= max_line_) {
      // No newline within the limit: deliver the head now, skip the rest up to its newline.
      // The offset moves past everything consumed, so a restart does not deliver it again.
      Piece piece{{data + begin_, max_line_}, base_offset_ + end_, true};
      ++lines_cut_;
      consumeTo(end_);
      skipping_ = true;
      return piece;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<LineSplitter::Piece> LineSplitter::flush() {
  if (skipping_) {
    consumeTo(end_);
    skipping_ = false;
    return std::nullopt;
  }
  while (begin_ < end_ && buf_[begin_] == '\0') {
    ++nul_skipped_;
    ++begin_;
  }
  if (begin_ == end_) return std::nullopt;
  const std::size_t len = end_ - begin_;
  Piece piece{
      {buf_.get() + begin_, std::min(len, max_line_)}, base_offset_ + end_, len > max_line_};
  if (piece.cut) ++lines_cut_;
  consumeTo(end_);
  return piece;
}

void LineSplitter::captureHead() const {
  // Bytes at file offsets [head_len_, min(kHeadBytes, lineOffset())) still in the buffer.
  const uint64_t want = std::min<uint64_t>(kHeadBytes, lineOffset());
  if (head_len_ >= want || head_len_ < base_offset_) return;
  const std::size_t from = static_cast<std::size_t>(head_len_ - base_offset_);
  const std::size_t n = static_cast<std::size_t>(want - head_len_);
  std::memcpy(head_.data() + head_len_, buf_.get() + from, n);
  head_len_ += n;
}

void LineSplitter::computeMarker() const {
  // The marker ends at lineOffset(): the consumed bytes in the buffer [0, begin_), preceded by
  // the saved marker that ends at base_offset_.
  if (begin_ >= kMarkerBytes) {
    std::memcpy(marker_.data(), buf_.get() + begin_ - kMarkerBytes, kMarkerBytes);
    marker_len_ = kMarkerBytes;
    return;
  }
  const std::size_t from_saved = std::min(saved_marker_len_, kMarkerBytes - begin_);
  if (from_saved > 0) {
    std::memcpy(marker_.data(), saved_marker_.data() + saved_marker_len_ - from_saved, from_saved);
  }
  if (begin_ > 0) std::memcpy(marker_.data() + from_saved, buf_.get(), begin_);
  marker_len_ = from_saved + begin_;
}

Fingerprint LineSplitter::marker() const { return fingerprintOf(markerBytes()); }

Fingerprint LineSplitter::head() const { return fingerprintOf(headBytes()); }

std::string_view LineSplitter::markerBytes() const {
  computeMarker();
  return {marker_.data(), marker_len_};
}

std::string_view LineSplitter::headBytes() const {
  if (buf_) captureHead();
  return {head_.data(), head_len_};
}

void LineSplitter::release() {
  if (!buf_ || held() > 0) return;
  compact();
  buf_.reset();
}

}  // namespace gw
