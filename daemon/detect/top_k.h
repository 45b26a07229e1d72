// TopK: the most frequent names in a stream (failing paths, upstream addresses) in bounded
// memory, by space-saving (Metwally, Agrawal, El Abbadi 2005): kSlots counters; a new name
// takes over the smallest one. Any name seen more than n/kSlots times is kept, and a reported
// count is at most the smallest counter's value too high.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detect/incident_event.h"

namespace gw {

class TopK {
 public:
  static constexpr std::size_t kSlots =
      16;  // tracked; a few more than reported keeps the top honest
  static constexpr std::size_t kReported = 10;       // what an event carries
  static constexpr std::size_t kMaxNameBytes = 512;  // longer names are cut

  void add(std::string_view name) { add(name, 1); }
  // `count` occurrences at once: an incident's reported top, seeded again after a restart.
  void add(std::string_view name, uint64_t count);
  // The most frequent names, most first.
  std::vector<NamedCount> top(std::size_t n = kReported) const;
  void clear() { used_ = 0; }
  bool empty() const { return used_ == 0; }

 private:
  struct Slot {
    std::string name;  // keeps its capacity when the slot is taken over: no allocation once warm
    uint64_t count = 0;
  };
  std::array<Slot, kSlots> slots_;
  std::size_t used_ = 0;
};

}  // namespace gw
