#include "common/time.h"

#include <cstdio>
#include <string_view>

namespace gw {

std::string formatRfc3339(Timestamp t, int utc_offset_minutes) {
  using namespace std::chrono;
  const auto local = t + minutes(utc_offset_minutes);
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<milliseconds>(local - day)};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                        long(hms.minutes().count()), long(hms.seconds().count()));
  if (auto ms = hms.subseconds().count(); ms != 0) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%03ld", long(ms));
  }
  if (utc_offset_minutes == 0) {
    std::snprintf(buf + n, sizeof buf - n, "Z");
  } else {
    const int off = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
    std::snprintf(buf + n, sizeof buf - n, "%c%02d:%02d", utc_offset_minutes < 0 ? '-' : '+',
                  off / 60, off % 60);
  }
  return buf;
}

bool parseDuration(std::string_view text, Millis& out) {
  if (text.empty()) return false;
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return false;
    long long value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000LL) return false;  // far beyond any sensible window
      ++i;
    }
    long long unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else if (i < text.size() && text[i] == 'd') {
      unit = 86'400'000;
      ++i;
    } else if (i == text.size() && value == 0) {
      unit = 1;
    }  // a bare "0" is zero
    else
      return false;
    total += value * unit;
  }
  out = Millis(total);
  return true;
}

std::string groupThousands(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string formatDuration(Millis d) {
  long long ms = d.count();
  if (ms < 0) ms = -ms;
  if (ms < 1000) return std::to_string(ms) + "ms";
  long long s = ms / 1000;
  std::string out;
  if (s >= 86400) {
    out += std::to_string(s / 86400) + "d ";
    s %= 86400;
  }
  if (s >= 3600 || !out.empty()) {
    out += std::to_string(s / 3600) + "h ";
    s %= 3600;
  }
  if (s >= 60 || !out.empty()) {
    out += std::to_string(s / 60) + "m ";
    s %= 60;
  }
  out += std::to_string(s) + "s";
  return out;
}

}  // namespace gw
