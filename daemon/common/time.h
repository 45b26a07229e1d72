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
  virtual Timestamp now() const = 0;  // wall time, for display and log-time comparison
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

// Howard Hinnant's days_from_civil: a proleptic Gregorian date to days since 1970-01-01.
// constexpr and allocation-free, for the parsers' hot paths and the TZif reader.
constexpr int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
static_assert(daysFromCivil(1970, 1, 1) == 0 && daysFromCivil(2022, 11, 16) == 19312);

// "1,234,567": counts people read in reports, alerts and logs.
std::string groupThousands(uint64_t n);

// "2022-11-16T11:26:28+09:00" (RFC 3339, seconds; milliseconds added when non-zero).
std::string formatRfc3339(Timestamp t, int utc_offset_minutes);

// Parses "500ms", "30s", "5m", "2h", "1d" and combinations like "1h30m". Returns false on error.
bool parseDuration(std::string_view text, Millis& out);
std::string formatDuration(Millis d);  // "1h 2m 3s", "450ms"

}  // namespace gw
