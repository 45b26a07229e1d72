// Time types shared by every stage. Log times are UTC instants in milliseconds ($msec has
// millisecond resolution); the offset a line was written with is kept apart for display.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gw {

using Millis = std::chrono::milliseconds;
// A UTC instant. Everything that compares or windows times uses this.
using Timestamp = std::chrono::sys_time<Millis>;

// Clock is injected wherever "now" matters; the pure core takes `now` as an argument instead.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;                                   // wall time, for display and log-time comparison
  virtual std::chrono::steady_clock::time_point steadyNow() const = 0;  // for intervals
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  std::chrono::steady_clock::time_point steadyNow() const override {
    return std::chrono::steady_clock::now();
  }
};

// "2022-11-16T11:26:28+09:00" (RFC 3339, seconds; milliseconds added when non-zero).
std::string formatRfc3339(Timestamp t, int utc_offset_minutes);

// Parses "500ms", "30s", "5m", "2h", "1d" and combinations like "1h30m". Returns false on error.
bool parseDuration(std::string_view text, Millis& out);
std::string formatDuration(Millis d);  // "1h 2m 3s", "450ms"

}  // namespace gw
