// TimeZone: TZif (RFC 8536) reader. The version 2+ 64-bit section gives the transitions; the
// POSIX TZ footer ("CET-1CEST,M3.5.0,M10.5.0/3") is expanded into explicit transitions up to
// kLastExpandedYear, so offsetAt and toUtc only ever search one sorted table.
#include "common/time_zone.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace gw {
namespace {

// The largest TZif file in tzdata is under 4 KiB (fat); anything much bigger is not a zone file.
constexpr std::size_t kMaxTzifBytes = 256 * 1024;
// The footer rule is expanded up to this year: logs are not written further ahead than that.
constexpr int kLastExpandedYear = 2100;
// Where zone files live unless $TZDIR says otherwise (as glibc does).
constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo";

int64_t yearOf(int64_t utc_seconds) {
  // civil_from_days, year only.
  int64_t z = (utc_seconds >= 0 ? utc_seconds : utc_seconds - 86399) / 86400 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t readBig(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// ---- POSIX TZ strings (the TZif footer, or $TZ itself) ----

struct PosixRule {
  enum class Kind { kMonthWeekDay, kJulianNoLeap, kZeroBasedDay };
  Kind kind = Kind::kMonthWeekDay;
  int month = 0, week = 0, weekday = 0, day = 0;
  int64_t time = 7200;  // seconds after local midnight, default 02:00
};

struct PosixTz {
  int32_t std_offset = 0;  // seconds east of UTC
  std::string std_name;    // "KST", "CET", "+03"
  std::string dst_name;    // "CEST"
  bool has_dst = false;
  int32_t dst_offset = 0;
  PosixRule start, end;
};

class PosixReader {
 public:
  explicit PosixReader(std::string_view s) : s_(s) {}

  std::optional<PosixTz> read() {
    PosixTz tz;
    if (!name(tz.std_name)) return std::nullopt;
    int64_t off;
    if (!offset(off)) return std::nullopt;
    tz.std_offset = static_cast<int32_t>(-off);  // POSIX offsets are west of UTC
    if (i_ == s_.size()) return tz;
    if (!name(tz.dst_name)) return std::nullopt;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (i_ < s_.size() && s_[i_] != ',') {
      if (!offset(off)) return std::nullopt;
      tz.dst_offset = static_cast<int32_t>(-off);
    }
    if (i_ == s_.size() || s_[i_] != ',') return std::nullopt;  // no rule: not "simple"
    ++i_;
    if (!rule(tz.start)) return std::nullopt;
    if (i_ == s_.size() || s_[i_] != ',') return std::nullopt;
    ++i_;
    if (!rule(tz.end)) return std::nullopt;
    if (i_ != s_.size()) return std::nullopt;
    return tz;
  }

 private:
  bool name(std::string& out) {
    if (i_ < s_.size() && s_[i_] == '<') {
      const std::size_t close = s_.find('>', i_);
      if (close == std::string_view::npos) return false;
      out.assign(s_.substr(i_ + 1, close - i_ - 1));
      i_ = close + 1;
      return true;
    }
    const std::size_t start = i_;
    while (i_ < s_.size() && ((s_[i_] >= 'A' && s_[i_] <= 'Z') || (s_[i_] >= 'a' && s_[i_] <= 'z')))
      ++i_;
    out.assign(s_.substr(start, i_ - start));
    return i_ - start >= 3;
  }

  bool number(int64_t& out, int max_digits) {
    const std::size_t start = i_;
    out = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' &&
           static_cast<int>(i_ - start) < max_digits) {
      out = out * 10 + (s_[i_] - '0');
      ++i_;
    }
    return i_ > start;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  bool offset(int64_t& out) {
    int64_t sign = 1;
    if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
      sign = s_[i_] == '-' ? -1 : 1;
      ++i_;
    }
    int64_t h, m = 0, sec = 0;
    if (!number(h, 3)) return false;
    if (i_ < s_.size() && s_[i_] == ':') {
      ++i_;
      if (!number(m, 2)) return false;
      if (i_ < s_.size() && s_[i_] == ':') {
        ++i_;
        if (!number(sec, 2)) return false;
      }
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool rule(PosixRule& r) {
    int64_t v;
    if (i_ < s_.size() && s_[i_] == 'M') {
      ++i_;
      int64_t m, w, d;
      if (!number(m, 2) || i_ >= s_.size() || s_[i_++] != '.' || !number(w, 1) || i_ >= s_.size() ||
          s_[i_++] != '.' || !number(d, 1)) {
        return false;
      }
      if (m < 1 || m > 12 || w < 1 || w > 5 || d > 6) return false;
      r.kind = PosixRule::Kind::kMonthWeekDay;
      r.month = static_cast<int>(m);
      r.week = static_cast<int>(w);
      r.weekday = static_cast<int>(d);
    } else if (i_ < s_.size() && s_[i_] == 'J') {
      ++i_;
      if (!number(v, 3) || v < 1 || v > 365) return false;
      r.kind = PosixRule::Kind::kJulianNoLeap;
      r.day = static_cast<int>(v);
    } else {
      if (!number(v, 3) || v > 365) return false;
      r.kind = PosixRule::Kind::kZeroBasedDay;
      r.day = static_cast<int>(v);
    }
    if (i_ < s_.size() && s_[i_] == '/') {
      ++i_;
      int64_t t;
      if (!offset(t)) return false;  // RFC 8536 allows -167..167 hours here
      r.time = t;
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// Local seconds since the epoch (as if local were UTC) at which `r` fires in `year`.
int64_t ruleLocalSeconds(const PosixRule& r, int64_t year) {
  int64_t days;
  switch (r.kind) {
    case PosixRule::Kind::kJulianNoLeap:
      days = daysFromCivil(year, 1, 1) + r.day - 1;
      if (isLeap(year) && r.day >= 60) ++days;
      break;
    case PosixRule::Kind::kZeroBasedDay:
      days = daysFromCivil(year, 1, 1) + r.day;
      break;
    case PosixRule::Kind::kMonthWeekDay:
    default: {
      const int64_t first = daysFromCivil(year, static_cast<unsigned>(r.month), 1);
      const int64_t first_weekday = ((first % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday
      int64_t day = first + (r.weekday - first_weekday + 7) % 7 + (r.week - 1) * 7;
      static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      int month_days = kDays[r.month - 1] + (r.month == 2 && isLeap(year) ? 1 : 0);
      while (day >= first + month_days) day -= 7;  // week 5 means "the last"
      days = day;
    }
  }
  return days * 86400 + r.time;
}

struct ZoneTransition {
  int64_t at;
  int32_t offset;
  uint16_t abbreviation;  // index into the zone's abbreviations
};

// A TZif file has at most 256 local time types, so at most that many abbreviations (and the
// footer's two); beyond this the file is corrupt.
constexpr std::size_t kMaxAbbreviations = 1024;

// The index of `name` in `names`, added when new.
uint16_t internAbbreviation(std::vector<std::string>& names, std::string_view name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<uint16_t>(i);
  }
  if (names.size() >= kMaxAbbreviations) return 0;
  names.emplace_back(name);
  return static_cast<uint16_t>(names.size() - 1);
}

void expandPosix(const PosixTz& tz, int64_t from_year, std::vector<ZoneTransition>& out,
                 std::vector<std::string>& names) {
  if (!tz.has_dst) return;
  const uint16_t std_name = internAbbreviation(names, tz.std_name);
  const uint16_t dst_name = internAbbreviation(names, tz.dst_name);
  for (int64_t y = from_year; y <= kLastExpandedYear; ++y) {
    // DST starts at a local time reckoned in standard time, ends at one reckoned in DST.
    const int64_t start = ruleLocalSeconds(tz.start, y) - tz.std_offset;
    const int64_t end = ruleLocalSeconds(tz.end, y) - tz.dst_offset;
    ZoneTransition a{start, tz.dst_offset, dst_name}, b{end, tz.std_offset, std_name};
    if (a.at > b.at) std::swap(a, b);  // southern hemisphere: DST across the new year
    for (const ZoneTransition& t : {a, b}) {
      if (out.empty() || t.at > out.back().at) out.push_back(t);
    }
  }
}

struct Parsed {
  std::vector<ZoneTransition> transitions;
  std::vector<std::string> abbreviations;
  int32_t initial_offset = 0;
  uint16_t initial_abbreviation = 0;
};

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data;
  data.resize(kMaxTzifBytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > kMaxTzifBytes) return std::nullopt;
  return data;
}

// Returns an error text, or nothing on success.
std::optional<std::string> parseTzif(std::string_view data, Parsed& out) {
  constexpr std::size_t kHeader = 44;
  auto header = [&](std::size_t at, int64_t counts[6]) -> bool {
    if (data.size() < at + kHeader || data.substr(at, 4) != "TZif") return false;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at + 20);
    for (int i = 0; i < 6; ++i) counts[i] = readBig(p + 4 * i, 4);
    for (int i = 0; i < 6; ++i) {
      if (counts[i] < 0 || counts[i] > 1 << 20) return false;
    }
    return true;
  };
  int64_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return "not a TZif file";
  const char version = data[4];
  std::size_t at = kHeader;
  int time_bytes = 4;
  if (version >= '2') {
    // Skip the 32-bit block: the 64-bit one follows with its own header.
    at += static_cast<std::size_t>(c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    if (!header(at, c)) return "truncated TZif file (no 64-bit section)";
    at += kHeader;
    time_bytes = 8;
  }
  const auto timecnt = static_cast<std::size_t>(c[3]);
  const auto typecnt = static_cast<std::size_t>(c[4]);
  const std::size_t need =
      timecnt * static_cast<std::size_t>(time_bytes) + timecnt + typecnt * 6 +
      static_cast<std::size_t>(c[5]) +
      static_cast<std::size_t>(c[2]) * (static_cast<std::size_t>(time_bytes) + 4) +
      static_cast<std::size_t>(c[1] + c[0]);
  if (typecnt == 0 || data.size() < at + need) return "truncated TZif file";
  const auto* base = reinterpret_cast<const unsigned char*>(data.data() + at);
  const unsigned char* times = base;
  const unsigned char* idx = times + timecnt * static_cast<std::size_t>(time_bytes);
  const unsigned char* types = idx + timecnt;
  const auto charcnt = static_cast<std::size_t>(c[5]);
  const char* chars = reinterpret_cast<const char*>(types + typecnt * 6);
  auto typeOffset = [&](std::size_t t) { return static_cast<int32_t>(readBig(types + 6 * t, 4)); };
  // Each type names its abbreviation by an index into NUL-separated characters.
  auto typeAbbreviation = [&](std::size_t t) -> uint16_t {
    const std::size_t at_char = types[6 * t + 5];
    if (at_char >= charcnt) return internAbbreviation(out.abbreviations, "");
    const std::string_view rest(chars + at_char, charcnt - at_char);
    return internAbbreviation(out.abbreviations, rest.substr(0, rest.find('\0')));
  };
  out.initial_offset = typeOffset(0);
  out.initial_abbreviation = typeAbbreviation(0);
  out.transitions.reserve(timecnt);
  for (std::size_t i = 0; i < timecnt; ++i) {
    const int64_t when = readBig(times + i * static_cast<std::size_t>(time_bytes), time_bytes);
    const std::size_t type = idx[i];
    if (type >= typecnt) return "corrupt TZif file (bad type index)";
    if (!out.transitions.empty() && when <= out.transitions.back().at) continue;
    out.transitions.push_back({when, typeOffset(type), typeAbbreviation(type)});
  }
  if (version >= '2') {
    const std::size_t footer = at + need;
    if (footer < data.size() && data[footer] == '\n') {
      const std::size_t close = data.find('\n', footer + 1);
      if (close != std::string_view::npos) {
        const std::string_view tz = data.substr(footer + 1, close - footer - 1);
        if (const auto posix = PosixReader(tz).read()) {
          const int64_t from = out.transitions.empty() ? 1970 : yearOf(out.transitions.back().at);
          if (!posix->has_dst && out.transitions.empty()) {
            out.initial_offset = posix->std_offset;
            out.initial_abbreviation = internAbbreviation(out.abbreviations, posix->std_name);
          }
          expandPosix(*posix, from, out.transitions, out.abbreviations);
        }
        // A footer we can't read ("<+03>-3" is read; exotic ones are not): times past the last
        // transition keep its offset, which is right for every zone without DST.
      }
    }
  }
  return std::nullopt;
}

bool validZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+' || c == '.';
  });
}

std::string zoneDir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string(kZoneInfoDir);
}

}  // namespace

TimeZone TimeZone::utc() {
  TimeZone z;
  z.name_ = "UTC";
  z.transitions_ = std::make_shared<const std::vector<Transition>>();
  z.abbreviations_ = std::make_shared<const std::vector<std::string>>(1, "UTC");
  return z;
}

Result<TimeZone> TimeZone::load(std::string_view iana_name) {
  if (!validZoneName(iana_name)) {
    return Error{"time zone '" + std::string(iana_name) +
                 "' is not an IANA zone name (like Asia/Seoul or UTC)"};
  }
  const std::string path = zoneDir() + "/" + std::string(iana_name);
  const auto data = readFile(path);
  if (!data) {
    return Error{
        "time zone '" + std::string(iana_name) + "': cannot read " + path +
        " (is the tzdata package installed and the name spelled as in the IANA database?)"};
  }
  Parsed parsed;
  if (auto failure = parseTzif(*data, parsed)) {
    return Error{"time zone '" + std::string(iana_name) + "': " + path + ": " + *failure};
  }
  TimeZone z;
  z.name_ = std::string(iana_name);
  z.initial_offset_ = parsed.initial_offset;
  z.initial_abbreviation_ = parsed.initial_abbreviation;
  auto table = std::make_shared<std::vector<TimeZone::Transition>>();
  table->reserve(parsed.transitions.size());
  for (const ZoneTransition& t : parsed.transitions) {
    table->push_back({t.at, t.offset, t.abbreviation});
  }
  z.transitions_ = std::move(table);
  z.abbreviations_ =
      std::make_shared<const std::vector<std::string>>(std::move(parsed.abbreviations));
  return z;
}

TimeZone TimeZone::local() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr) {
    std::string_view name = tz;
    if (!name.empty() && name.front() == ':') name.remove_prefix(1);
    if (name.empty() || name == "UTC" || name == "UTC0") return utc();
    if (auto z = load(name)) return std::move(z).value();
    // A POSIX string ("KST-9", "CET-1CEST,M3.5.0,M10.5.0/3") rather than a zone name.
    if (const auto posix = PosixReader(name).read()) {
      TimeZone z;
      z.name_ = std::string(name);
      z.initial_offset_ = posix->std_offset;
      std::vector<std::string> names;
      z.initial_abbreviation_ = internAbbreviation(names, posix->std_name);
      std::vector<ZoneTransition> expanded;
      expandPosix(*posix, 1970, expanded, names);
      auto table = std::make_shared<std::vector<TimeZone::Transition>>();
      for (const ZoneTransition& t : expanded) table->push_back({t.at, t.offset, t.abbreviation});
      z.transitions_ = std::move(table);
      z.abbreviations_ = std::make_shared<const std::vector<std::string>>(std::move(names));
      return z;
    }
    return utc();
  }
  const std::string localtime = "/etc/localtime";
  const auto data = readFile(localtime);
  if (!data) return utc();
  Parsed parsed;
  if (parseTzif(*data, parsed)) return utc();
  TimeZone z;
  z.name_ = "localtime";
  char target[512];
  if (const ssize_t n = ::readlink(localtime.c_str(), target, sizeof target - 1); n > 0) {
    const std::string_view link(target, static_cast<std::size_t>(n));
    constexpr std::string_view kMarker = "zoneinfo/";
    if (const std::size_t at = link.find(kMarker); at != std::string_view::npos) {
      z.name_ = std::string(link.substr(at + kMarker.size()));
    }
  }
  z.initial_offset_ = parsed.initial_offset;
  z.initial_abbreviation_ = parsed.initial_abbreviation;
  auto table = std::make_shared<std::vector<TimeZone::Transition>>();
  for (const ZoneTransition& t : parsed.transitions) {
    table->push_back({t.at, t.offset, t.abbreviation});
  }
  z.transitions_ = std::move(table);
  z.abbreviations_ =
      std::make_shared<const std::vector<std::string>>(std::move(parsed.abbreviations));
  return z;
}

int TimeZone::offsetAt(Timestamp utc) const {
  const int64_t ms = utc.time_since_epoch().count();
  const int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int32_t offset = initial_offset_;
  if (transitions_ && !transitions_->empty()) {
    const auto& t = *transitions_;
    auto it = std::upper_bound(t.begin(), t.end(), seconds,
                               [](int64_t s, const Transition& tr) { return s < tr.at; });
    if (it != t.begin()) offset = std::prev(it)->offset;
  }
  return offset / 60;
}

std::string TimeZone::abbreviationAt(Timestamp utc) const {
  if (!abbreviations_) return {};
  const int64_t ms = utc.time_since_epoch().count();
  const int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  uint16_t index = initial_abbreviation_;
  if (transitions_ && !transitions_->empty()) {
    const auto& t = *transitions_;
    auto it = std::upper_bound(t.begin(), t.end(), seconds,
                               [](int64_t s, const Transition& tr) { return s < tr.at; });
    if (it != t.begin()) index = std::prev(it)->abbreviation;
  }
  return index < abbreviations_->size() ? (*abbreviations_)[index] : std::string();
}

Timestamp TimeZone::toUtc(int64_t local_seconds, int& offset_minutes_out) const {
  // A wall time is valid under offset o when the zone's offset at (local - o) is o. Offsets
  // are within ±26 h, so the offsets in force a day before and a day after are the only
  // candidates wherever transitions are more than two days apart (every real zone).
  auto offsetSeconds = [&](int64_t utc_seconds) {
    return offsetAt(Timestamp(Millis(utc_seconds * 1000))) * 60;
  };
  constexpr int64_t kDay = 86400;
  const int64_t early = offsetSeconds(local_seconds - kDay);
  const int64_t late = offsetSeconds(local_seconds + kDay);
  int64_t chosen = early;  // in a gap neither is valid: the earlier offset, as documented
  if (offsetSeconds(local_seconds - early) != early &&
      offsetSeconds(local_seconds - late) == late) {
    chosen = late;
  }
  offset_minutes_out = static_cast<int>(chosen / 60);
  return Timestamp(Millis((local_seconds - chosen) * 1000));
}

}  // namespace gw
