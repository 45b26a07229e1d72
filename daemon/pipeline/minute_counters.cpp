#include "pipeline/minute_counters.h"

#include <algorithm>

namespace gw {
namespace {

int64_t minuteIndex(Timestamp t) {
  return std::chrono::floor<std::chrono::minutes>(t).time_since_epoch().count();
}

Timestamp minuteStart(int64_t minute) {
  return Timestamp{std::chrono::duration_cast<Millis>(std::chrono::minutes(minute))};
}

}  // namespace

void addCounts(MinuteCounts& into, const MinuteCounts& counts) {
  into.requests += counts.requests;
  into.failures += counts.failures;
  into.s2xx += counts.s2xx;
  into.s3xx += counts.s3xx;
  into.s4xx += counts.s4xx;
  into.s5xx += counts.s5xx;
  into.s502 += counts.s502;
  into.s503 += counts.s503;
  into.s504 += counts.s504;
}

MinuteCounters::MinuteCounters(std::size_t sources, std::size_t slots_per_source,
                               std::size_t spill_capacity)
    : sources_(sources),
      slots_per_source_(std::max<std::size_t>(slots_per_source, 1)),
      spill_capacity_(spill_capacity),
      slots_(sources * slots_per_source_) {
  spill_.reserve(spill_capacity_);
}

MinuteCounters::Slot* MinuteCounters::slotFor(std::size_t source, int64_t minute) {
  Slot* ring = slots_.data() + source * slots_per_source_;
  Slot* free = nullptr;
  Slot* oldest = nullptr;
  for (std::size_t i = 0; i < slots_per_source_; ++i) {
    Slot& slot = ring[i];
    if (slot.last_use == 0) {
      if (!free) free = &slot;
    } else if (slot.minute == minute) {
      return &slot;
    } else if (!oldest || slot.last_use < oldest->last_use) {
      oldest = &slot;
    }
  }
  if (!free) {
    if (spill_.size() >= spill_capacity_) return nullptr;
    spill_.push_back({source, oldest->counts});  // within the reserved capacity: no allocation
    free = oldest;
  }
  free->minute = minute;
  free->counts = MinuteCounts{};
  free->counts.minute = minuteStart(minute);
  return free;
}

void MinuteCounters::count(std::size_t source, Timestamp time, uint16_t status) {
  if (source >= sources_) return;
  Slot* slot = slotFor(source, minuteIndex(time));
  if (!slot) {
    ++lines_dropped_;
    return;
  }
  slot->last_use = ++use_sequence_;
  MinuteCounts& c = slot->counts;
  ++c.requests;
  switch (status / 100) {
    case 2:
      ++c.s2xx;
      break;
    case 3:
      ++c.s3xx;
      break;
    case 4:
      ++c.s4xx;
      break;
    case 5:
      ++c.s5xx;
      ++c.failures;
      c.s502 += status == 502;
      c.s503 += status == 503;
      c.s504 += status == 504;
      break;
    default:
      break;  // 1xx, or no $status in the format: a request of no class
  }
}

void MinuteCounters::touch(std::size_t source, Timestamp now) {
  if (source >= sources_) return;
  // When nothing can be freed the minute's lines are being dropped anyway.
  if (Slot* slot = slotFor(source, minuteIndex(now))) slot->last_use = ++use_sequence_;
}

bool MinuteCounters::empty() const {
  return spill_.empty() &&
         std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.last_use != 0; });
}

void MinuteCounters::drain(std::vector<MinuteDelta>& out) {
  out.clear();
  out.insert(out.end(), spill_.begin(), spill_.end());
  spill_.clear();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (slot.last_use == 0) continue;
    out.push_back({i / slots_per_source_, slot.counts});
    slot = Slot{};
  }
  // A minute evicted and taken again shows up twice: one row per (source, minute) goes out, so
  // MinuteStore::fillMissing (insert-or-ignore) sees the whole minute.
  std::sort(out.begin(), out.end(), [](const MinuteDelta& a, const MinuteDelta& b) {
    return a.source != b.source ? a.source < b.source : a.counts.minute < b.counts.minute;
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (kept > 0 && out[kept - 1].source == out[i].source &&
        out[kept - 1].counts.minute == out[i].counts.minute) {
      addCounts(out[kept - 1].counts, out[i].counts);
    } else {
      out[kept++] = out[i];
    }
  }
  out.resize(kept);
  use_sequence_ = 0;
}

}  // namespace gw
