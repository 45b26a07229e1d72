// TimeZone: an IANA zone read from the system's TZif files (/usr/share/zoneinfo), so local
// times without an offset (nginx error.log, $time_local seen without its offset) map to UTC.
// libstdc++ 12 has no std::chrono::tzdb; this is the part of it we need.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace gw {

class TimeZone {
 public:
  static TimeZone utc();
  // "Asia/Seoul", "UTC", "Etc/GMT-9"; an error names the file it looked for.
  static Result<TimeZone> load(std::string_view iana_name);
  // The server's own zone: $TZ if set, else /etc/localtime, else UTC.
  static TimeZone local();

  // Offset from UTC in minutes at a UTC instant.
  int offsetAt(Timestamp utc) const;
  // The UTC instant of a local wall time (seconds since the epoch as if the local time were
  // UTC). In a DST gap or overlap, the earlier offset is taken.
  Timestamp toUtc(int64_t local_seconds, int& offset_minutes_out) const;
  // The zone's abbreviation at a UTC instant, as its TZif file (or POSIX TZ string) names it:
  // "KST", "CEST", "UTC"; some zones only have numeric ones ("+04"). "" when unknown.
  std::string abbreviationAt(Timestamp utc) const;
  const std::string& name() const { return name_; }

 private:
  struct Transition {
    int64_t at;                 // UTC seconds
    int32_t offset;             // seconds east of UTC from `at` on
    uint16_t abbreviation = 0;  // index into abbreviations_
  };
  std::string name_;
  std::shared_ptr<const std::vector<Transition>> transitions_;  // shared: copies are cheap
  std::shared_ptr<const std::vector<std::string>> abbreviations_;
  int32_t initial_offset_ = 0;
  uint16_t initial_abbreviation_ = 0;
};

}  // namespace gw
