// MinuteCounters: each source's requests and failures per minute, counted as access lines are
// parsed (by each line's own time) and handed over as deltas every few seconds for
// MinuteStore::add. Pure (times come in as arguments) and allocation-free per line: each source
// holds a fixed ring of minutes; a line whose minute finds no free slot pushes the least
// recently used one into a fixed spill area, and when that is full too the line is not counted
// per minute (counted as dropped), so no log content can grow memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/time.h"
#include "store/minute_store.h"

namespace gw {

// Minutes a source holds between flushes: the current and the just-finished one, plus lines
// that arrive late (access_log buffer=/flush=, a skewed writer). Reading a backlog moves on
// faster than that and goes through the spill area.
inline constexpr std::size_t kLiveMinuteSlots = 8;
// Minutes evicted from the rings and not yet flushed, all sources together (~100 bytes each).
// The pipeline flushes once half of it is used, at the end of a read batch; a batch (one 64 KiB
// chunk per followed file) of a backlog with one line per minute fills at most a few hundred.
inline constexpr std::size_t kMinuteSpillCapacity = 4096;

// One source (by its index in the pipeline's source list) and one minute's counts.
struct MinuteDelta {
  std::size_t source = 0;
  MinuteCounts counts;
  bool operator==(const MinuteDelta&) const = default;
};

// `counts` added into `into` (the minute is `into`'s).
void addCounts(MinuteCounts& into, const MinuteCounts& counts);

class MinuteCounters {
 public:
  MinuteCounters(std::size_t sources, std::size_t slots_per_source = kLiveMinuteSlots,
                 std::size_t spill_capacity = kMinuteSpillCapacity);

  // One parsed access line of `source` stamped `time`, answered with `status` (0: the format
  // has no $status; counted as a request of no class).
  void count(std::size_t source, Timestamp time, uint16_t status);
  // The source was followed during the minute of `now`: that minute gets a row even without
  // lines, so a gap in the chart means "not watched".
  void touch(std::size_t source, Timestamp now);

  // Half the spill area is used: flush at the end of the read batch, before it fills up.
  bool flushDue() const { return spill_.size() * 2 >= spill_capacity_; }
  bool empty() const;
  // Hands over every minute held, merged per (source, minute) and sorted that way, into `out`
  // (cleared first; its capacity is reused), and starts empty again.
  void drain(std::vector<MinuteDelta>& out);

  std::size_t sources() const { return sources_; }
  // Lines not counted per minute since construction (slots and spill area full).
  uint64_t linesDropped() const { return lines_dropped_; }

 private:
  struct Slot {
    int64_t minute = 0;     // minutes since the epoch
    uint64_t last_use = 0;  // 0: free; else the use sequence (the least recent is evicted)
    MinuteCounts counts;
  };
  // The slot holding `minute` in the source's ring, taken (a free one, or the least recently
  // used after spilling it) when missing; nullptr when nothing can be freed.
  Slot* slotFor(std::size_t source, int64_t minute);

  std::size_t sources_;
  std::size_t slots_per_source_;
  std::size_t spill_capacity_;
  std::vector<Slot> slots_;         // sources_ × slots_per_source_, allocated once
  std::vector<MinuteDelta> spill_;  // capacity reserved once, never grown
  uint64_t use_sequence_ = 0;
  uint64_t lines_dropped_ = 0;
};

}  // namespace gw
