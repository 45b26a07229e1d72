// BucketRing: a sliding time window made of fixed-width buckets in a ring, so that counting a
// record is O(1) and memory is O(buckets), never O(records). Buckets are aligned to multiples of
// their width since the epoch, so every ring of one width agrees on where a bucket begins.
// Records older than the oldest bucket are refused (the caller counts them as late).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "common/time.h"

namespace gw {

// Bucket width for a window span: one second up to kFineSpanLimit (ratio windows, short
// burn-rate windows), one minute beyond it (hour-long burn-rate windows), and coarser still past
// kMaxBuckets minutes so that no ring ever holds more than kMaxBuckets buckets.
constexpr Millis kFineBucket{std::chrono::seconds(1)};
constexpr Millis kCoarseBucket{std::chrono::minutes(1)};
constexpr Millis kFineSpanLimit{std::chrono::minutes(10)};
constexpr std::size_t kMaxBuckets = 600;  // 10 min of seconds, 10 h of minutes
Millis bucketWidthFor(Millis span);

template <class Cell>
class BucketRing {
 public:
  explicit BucketRing(Millis span)
      : width_(bucketWidthFor(span)), cells_(bucketsFor(span, width_)) {}

  Millis width() const { return width_; }
  // The span actually covered: the newest bucket and the ones before it.
  Millis span() const { return width_ * static_cast<int64_t>(cells_.size()); }

  // The bucket holding time `t`. A `t` past the newest bucket moves the ring forward first,
  // handing each bucket that leaves to on_expire(cell) before clearing it. nullptr when `t` is
  // older than the oldest bucket.
  template <class OnExpire>
  Cell* at(Timestamp t, OnExpire&& on_expire) {
    const Timestamp start = startOf(t);
    if (!started_) {
      head_start_ = start;
      started_ = true;
    } else if (start > head_start_) {
      advance(t, on_expire);
    }
    const auto back = static_cast<std::size_t>((head_start_ - start) / width_);
    if (back >= cells_.size()) return nullptr;
    return &cells_[index(back)];
  }

  // Moves the window so that its newest bucket holds `now` (never backwards).
  template <class OnExpire>
  void advance(Timestamp now, OnExpire&& on_expire) {
    const Timestamp start = startOf(now);
    if (!started_) {
      head_start_ = start;
      started_ = true;
      return;
    }
    if (start <= head_start_) return;
    const auto steps = static_cast<std::size_t>((start - head_start_) / width_);
    if (steps >= cells_.size()) {
      for (Cell& cell : cells_) {
        on_expire(cell);
        cell = Cell{};
      }
    } else {
      for (std::size_t i = 0; i < steps; ++i) {
        head_ = (head_ + 1) % cells_.size();
        on_expire(cells_[head_]);
        cells_[head_] = Cell{};
      }
    }
    head_start_ = start;
  }

  // Calls f(bucket_start, cell) for every bucket inside the window that ends at `now` (or at
  // the newest bucket, if later), oldest first. Reads only: buckets that `now` has pushed out are
  // skipped, not cleared.
  template <class F>
  void forEach(Timestamp now, F&& f) const {
    if (!started_) return;
    const Timestamp newest = std::max(startOf(now), head_start_);
    const Timestamp oldest = newest - width_ * static_cast<int64_t>(cells_.size() - 1);
    for (std::size_t back = cells_.size(); back-- > 0;) {
      const Timestamp start = head_start_ - width_ * static_cast<int64_t>(back);
      if (start < oldest) continue;
      f(start, cells_[index(back)]);
    }
  }

  void clear() {
    for (Cell& cell : cells_) cell = Cell{};
    head_ = 0;
    started_ = false;
  }

 private:
  static std::size_t bucketsFor(Millis span, Millis width) {
    const auto n = (span.count() + width.count() - 1) / width.count();
    return n < 1 ? 1 : static_cast<std::size_t>(n);
  }
  Timestamp startOf(Timestamp t) const {
    const int64_t ms = t.time_since_epoch().count();
    const int64_t w = width_.count();
    int64_t q = ms / w;
    if (ms % w < 0) --q;  // floor, for times before the epoch
    return Timestamp(Millis(q * w));
  }
  std::size_t index(std::size_t back) const {
    return (head_ + cells_.size() - back) % cells_.size();
  }

  Millis width_;
  std::vector<Cell> cells_;
  std::size_t head_ = 0;    // index of the newest bucket
  Timestamp head_start_{};  // start time of the newest bucket
  bool started_ = false;
};

}  // namespace gw
