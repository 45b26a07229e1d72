// The recent log lines of one source that an alert carries as context. Slots are allocated once:
// remembering a line copies bytes into a slot and never allocates, and a line longer than a slot
// is cut, so a hostile client cannot grow memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"
#include "parse/access_record.h"

namespace gw {

// Bytes kept of one line: kContextLineChars characters of up to 4 bytes each, with room for the
// redactor to see a whole query before the line is cut for display.
inline constexpr std::size_t kContextSlotBytes = 2048;

// How many lines a source's access ring keeps per context line an alert carries: several groups
// (upstreams, hosts) share one source's traffic, and each should still find its own lines.
inline constexpr std::size_t kAccessRingLinesPerContextLine = 8;

// How many error.log lines a source's error ring keeps per line an alert carries: an alert shows
// the onset and the latest of an incident's lines, and the ring must still hold the onset while
// the failure keeps writing (one line per failed request, more with retries to other upstreams).
inline constexpr std::size_t kErrorRingLinesPerContextLine = 4;

// Access lines of one source, each with the group values (host, upstream, path) it would be
// grouped by, kept as hashes of the same cut values the detector's GroupKeyBuffer uses.
class AccessContextRing {
 public:
  explicit AccessContextRing(std::size_t capacity);

  void remember(std::string_view raw_line, const AccessRecord& record);

  // The last `max` lines, oldest first, whose values match every (key, value) of `group`
  // (IncidentEvent::group: "source" always matches; "host", "upstream", "path" compare) and whose
  // time is not after `until`. Strings are the raw bytes as kept (cut to kContextSlotBytes).
  std::vector<std::string> linesFor(const std::vector<std::pair<std::string, std::string>>& group,
                                    Timestamp until, std::size_t max) const;

  std::size_t size() const;

 private:
  struct Slot {
    Timestamp time{};
    uint64_t host_hash = 0;
    uint64_t upstream_hash = 0;
    uint64_t path_hash = 0;
    uint32_t length = 0;
  };
  std::vector<Slot> slots_;
  std::vector<char> bytes_;  // capacity * kContextSlotBytes
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

// error.log lines of one source with their times.
class ErrorContextRing {
 public:
  explicit ErrorContextRing(std::size_t capacity);

  void remember(std::string_view raw_line, Timestamp time);

  // Lines with from <= time <= to, oldest first; when more than `max` match, the first max/2 and
  // the last max - max/2 (the onset and the latest state), with nothing in between.
  std::vector<std::string> linesBetween(Timestamp from, Timestamp to, std::size_t max) const;

  std::size_t size() const;

 private:
  struct Slot {
    Timestamp time{};
    uint32_t length = 0;
  };
  std::vector<Slot> slots_;
  std::vector<char> bytes_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

}  // namespace gw
