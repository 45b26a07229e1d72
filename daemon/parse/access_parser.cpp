// AccessParser: runs a compiled log_format over lines. Two passes per line: match (find where
// each value begins and ends: memchr for the next literal, typed values checked by shape), then
// apply (turn the values into record fields). Neither allocates or throws.
#include <array>
#include <cstring>

#include "parse/format_program.h"
#include "parse/log_format.h"

namespace gw {
namespace {

constexpr std::size_t kNoMatch = std::string_view::npos;

// A text value ends at the first occurrence of the literal after it; when something later does
// not match, the matcher tries the literal's next occurrence (a '|' inside a URL in a
// '|'-separated format, a raw '"' written by software that does not escape). Bounded, so a
// hostile line costs at most this many extra scans.
constexpr std::size_t kMaxRetries = 32;

// The longest request method kept; longer "methods" are binary garbage (TLS or SMB bytes sent
// to the plain-text port), kept only in the raw line.
constexpr std::size_t kMaxMethodLength = 32;

// Integer parts longer than this are clamped instead of overflowing int64.
constexpr std::size_t kMaxIntegerDigits = 18;

// $msec beyond this (the year 5138) is not a time nginx wrote; it would overflow milliseconds.
constexpr int64_t kMaxEpochSeconds = 100'000'000'000;

inline bool isDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
inline int digit(char c) { return c - '0'; }

// "'['", "' '", "0xC3": one static description per byte, for ParseFailure::expected.
struct CharDescriptions {
  std::array<std::array<char, 8>, 256> text{};
  constexpr CharDescriptions() {
    constexpr char kHex[] = "0123456789ABCDEF";
    for (int c = 0; c < 256; ++c) {
      auto& t = text[static_cast<std::size_t>(c)];
      if (c >= 0x20 && c < 0x7f) {
        t[0] = '\'';
        t[1] = static_cast<char>(c);
        t[2] = '\'';
      } else {
        t[0] = '0';
        t[1] = 'x';
        t[2] = kHex[c >> 4];
        t[3] = kHex[c & 0xF];
      }
    }
  }
};
constexpr CharDescriptions kCharDescriptions;
const char* describeChar(char c) {
  return kCharDescriptions.text[static_cast<unsigned char>(c)].data();
}

const char* describeShape(ValueShape shape) {
  switch (shape) {
    case ValueShape::kStatus:
      return "3 digits";
    case ValueShape::kTimeLocal:
      return "a time like 16/Nov/2022:11:26:28 +0900";
    case ValueShape::kTimeIso8601:
      return "a time like 2022-11-16T11:26:28+09:00";
    case ValueShape::kDecimal:
      return "a number or '-'";
    case ValueShape::kDecimalList:
      return "numbers like \"0.004, 0.002\" or '-'";
    case ValueShape::kStatusList:
      return "statuses like \"502, 200\" or '-'";
    case ValueShape::kAddrList:
      return "addresses like \"10.0.0.1:80, 10.0.0.2:80\" or '-'";
    case ValueShape::kHostName:
      return "'/' (where the URI starts)";
    case ValueShape::kToken:
      return "an address or name (no spaces)";
    case ValueShape::kText:
      break;
  }
  return "text";
}

// ---- shapes: each returns where the value ends, or kNoMatch with `bad` set ----

std::size_t scanStatus(std::string_view s, std::size_t p, std::size_t& bad) {
  for (std::size_t k = 0; k < 3; ++k) {
    if (p + k >= s.size() || !isDigit(s[p + k])) {
      bad = p + k;
      return kNoMatch;
    }
  }
  return p + 3;
}

// `pattern`: '0' a digit, 'A' a letter, '+' a sign, anything else itself.
std::size_t matchPattern(std::string_view s, std::size_t p, std::string_view pattern,
                         std::size_t& bad) {
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    const std::size_t at = p + k;
    if (at >= s.size()) {
      bad = at;
      return kNoMatch;
    }
    const char c = s[at];
    bool ok;
    switch (pattern[k]) {
      case '0':
        ok = isDigit(c);
        break;
      case 'A':
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        break;
      case '+':
        ok = c == '+' || c == '-';
        break;
      default:
        ok = c == pattern[k];
    }
    if (!ok) {
      bad = at;
      return kNoMatch;
    }
  }
  return p + pattern.size();
}

// A value that is "-" (nginx writes it for a value it has not got; accepted in every field but
// $status) or empty (escape=json writes "" instead): true, with `end` set.
bool dashOrEmpty(std::string_view s, std::size_t p, std::size_t& end) {
  if (p >= s.size() || (!isDigit(s[p]) && s[p] != '-')) {
    end = p;
    return true;
  }
  if (s[p] == '-' && (p + 1 >= s.size() || !isDigit(s[p + 1]))) {
    end = p + 1;
    return true;
  }
  return false;
}

bool isAlpha(char c) { return static_cast<unsigned char>((c | 0x20) - 'a') < 26; }

std::size_t scanTimeLocal(std::string_view s, std::size_t p, std::size_t& bad) {
  std::size_t end;
  if (dashOrEmpty(s, p, end)) return end;
  constexpr std::size_t kWidth = 26;  // 16/Nov/2022:11:26:28 +0900
  if (p + kWidth <= s.size()) {
    // Every line has one: checked without branches, the pattern below only says where it broke.
    const char* t = s.data() + p;
    // `&`, not `&&`, on purpose: no branch per character. clang reads that as a mistaken `&&`;
    // spelling it with unsigned values instead measured ~10% slower with g++ (bench_parse).
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wbitwise-instead-of-logical"
#endif
    const bool ok = isDigit(t[0]) & isDigit(t[1]) & (t[2] == '/') & isAlpha(t[3]) & isAlpha(t[4]) &
                    isAlpha(t[5]) & (t[6] == '/') & isDigit(t[7]) & isDigit(t[8]) & isDigit(t[9]) &
                    isDigit(t[10]) & (t[11] == ':') & isDigit(t[12]) & isDigit(t[13]) &
                    (t[14] == ':') & isDigit(t[15]) & isDigit(t[16]) & (t[17] == ':') &
                    isDigit(t[18]) & isDigit(t[19]) & (t[20] == ' ') &
                    ((t[21] == '+') | (t[21] == '-')) & isDigit(t[22]) & isDigit(t[23]) &
                    isDigit(t[24]) & isDigit(t[25]);
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
    if (ok) return p + kWidth;
  }
  return matchPattern(s, p, "00/AAA/0000:00:00:00 +0000", bad);
}

std::size_t scanTimeIso(std::string_view s, std::size_t p, std::size_t& bad) {
  std::size_t end;
  if (dashOrEmpty(s, p, end)) return end;
  const std::size_t e = matchPattern(s, p, "0000-00-00T00:00:00", bad);
  if (e == kNoMatch) return e;
  if (e < s.size() && s[e] == 'Z') return e + 1;
  return matchPattern(s, e, "+00:00", bad);
}

// digits [. digits], or "-", or nothing.
std::size_t scanDecimal(std::string_view s, std::size_t p) {
  if (p < s.size() && s[p] == '-') return p + 1;
  std::size_t e = p;
  while (e < s.size() && isDigit(s[e])) ++e;
  if (e > p && e + 1 < s.size() && s[e] == '.' && isDigit(s[e + 1])) {
    e += 2;
    while (e < s.size() && isDigit(s[e])) ++e;
  }
  return e;
}

std::size_t scanStatusItem(std::string_view s, std::size_t p) {
  if (p < s.size() && s[p] == '-') return p + 1;
  std::size_t bad;
  const std::size_t e = scanStatus(s, p, bad);
  return e == kNoMatch ? p : e;
}

std::size_t scanAddrItem(std::string_view s, std::size_t p, char stop) {
  while (p < s.size() && s[p] != ' ' && s[p] != ',' && s[p] != stop) ++p;
  return p;
}

// nginx joins attempts with ", " and upstream groups (internal redirects) with " : ".
std::size_t listSeparator(std::string_view s, std::size_t e) {
  if (e + 1 < s.size() && s[e] == ',' && s[e + 1] == ' ') return 2;
  if (e + 2 < s.size() && s[e] == ' ' && s[e + 1] == ':' && s[e + 2] == ' ') return 3;
  return 0;
}

std::size_t scanItem(ValueShape shape, std::string_view s, std::size_t p, char stop) {
  switch (shape) {
    case ValueShape::kDecimalList:
      return scanDecimal(s, p);
    case ValueShape::kStatusList:
      return scanStatusItem(s, p);
    default:
      return scanAddrItem(s, p, stop);
  }
}

// Items joined by separators; a separator not followed by an item belongs to the literal.
std::size_t scanList(ValueShape shape, std::string_view s, std::size_t p, char stop) {
  std::size_t e = scanItem(shape, s, p, stop);
  if (e == p) return p;
  while (true) {
    const std::size_t sep = listSeparator(s, e);
    if (sep == 0) return e;
    const std::size_t after = scanItem(shape, s, e + sep, stop);
    if (after == e + sep) return e;
    e = after;
  }
}

// The first occurrence of `lit` at or after `from`. With escape=json a '"' preceded by an odd
// number of backslashes is inside the value, not its end.
std::size_t findLiteral(std::string_view s, std::size_t from, std::string_view lit, bool json) {
  const char* base = s.data();
  const std::size_t n = s.size();
  const std::size_t len = lit.size();
  std::size_t p = from;
  while (p + len <= n) {
    const void* hit = std::memchr(base + p, lit[0], n - p - len + 1);
    if (hit == nullptr) return kNoMatch;
    const auto q = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    if (len == 1 || std::memcmp(base + q + 1, lit.data() + 1, len - 1) == 0) {
      if (json) {
        std::size_t slashes = 0;
        while (q - slashes > from && base[q - slashes - 1] == '\\') ++slashes;
        if (slashes % 2 == 1) {
          p = q + 1;
          continue;
        }
      }
      return q;
    }
    p = q + 1;
  }
  return kNoMatch;
}

std::size_t commonPrefix(std::string_view s, std::size_t p, std::string_view lit) {
  if (p + lit.size() <= s.size() && std::memcmp(s.data() + p, lit.data(), lit.size()) == 0) {
    return lit.size();  // the usual case, in one compare
  }
  std::size_t k = 0;
  while (k < lit.size() && p + k < s.size() && s[p + k] == lit[k]) ++k;
  return k;
}

// ---- the match pass ----

class Matcher {
 public:
  Matcher(const LogFormat::Impl& f, std::string_view line,
          std::array<std::string_view, kMaxFormatVariables>& values, ParseFailure& failure)
      : f_(f), line_(line), values_(values), failure_(failure) {}

  bool run() {
    const std::size_t nvars = f_.vars.size();
    std::size_t pos = 0;
    if (!f_.lead.empty()) {
      const std::size_t k = commonPrefix(line_, 0, f_.lead);
      if (k < f_.lead.size()) {
        fail(0, f_.vars[0].name.c_str(), k, describeChar(f_.lead[k]));
        return false;
      }
      pos = f_.lead.size();
    }
    std::size_t i = 0;
    std::size_t retries = 0;
    while (i < nvars) {
      if (step(i, pos)) {
        ++i;
        continue;
      }
      bool resumed = false;
      while (choice_count_ > 0 && retries < kMaxRetries) {
        ++retries;
        Choice& c = choices_[choice_count_ - 1];
        const FormatVariable& v = f_.vars[c.var];
        const std::size_t e = findLiteral(line_, c.end + 1, v.next, json());
        if (e == kNoMatch) {
          --choice_count_;
          continue;
        }
        c.end = e;
        values_[c.var] = line_.substr(c.begin, e - c.begin);
        pos = e + v.next.size();
        i = c.var + 1u;
        resumed = true;
        break;
      }
      if (!resumed) return false;
    }
    return true;
  }

  std::size_t failedVariable() const { return failed_var_; }

 private:
  struct Choice {
    uint16_t var;
    std::size_t begin;
    std::size_t end;
  };

  bool json() const { return f_.escape == LogEscape::kJson; }

  void fail(std::size_t var, const char* field, std::size_t offset, const char* expected) {
    if (failed_) return;  // the first failure explains a line best; retries only add noise
    failed_ = true;
    failed_var_ = var;
    failure_.field = field;
    failure_.offset = offset;
    failure_.expected = expected;
  }

  bool step(std::size_t i, std::size_t& pos) {
    const FormatVariable& v = f_.vars[i];
    const std::string_view next = v.next;
    switch (v.shape) {
      case ValueShape::kText: {
        if (v.last) {
          if (next.empty()) {
            values_[i] = line_.substr(pos);
            pos = line_.size();
            return true;
          }
          if (line_.size() >= pos + next.size() && line_.ends_with(next)) {
            values_[i] = line_.substr(pos, line_.size() - next.size() - pos);
            pos = line_.size();
            return true;
          }
          fail(i, v.name.c_str(), line_.empty() ? 0 : line_.size() - 1, v.next_desc.c_str());
          return false;
        }
        const std::size_t e = findLiteral(line_, pos, next, json());
        if (e == kNoMatch) {
          fail(i, v.name.c_str(), line_.size(), v.next_desc.c_str());
          return false;
        }
        values_[i] = line_.substr(pos, e - pos);
        choices_[choice_count_++] = Choice{static_cast<uint16_t>(i), pos, e};
        pos = e + next.size();
        return true;
      }
      case ValueShape::kToken: {
        // Ends at the literal; a space before it means the line is not this format. No retry:
        // a later occurrence of the literal would only take in more spaces.
        const std::size_t e = v.last && next.empty() ? line_.size()
                              : v.last ? (line_.size() >= pos + next.size() && line_.ends_with(next)
                                              ? line_.size() - next.size()
                                              : kNoMatch)
                                       : findLiteral(line_, pos, next, json());
        const std::size_t scan_end = e == kNoMatch ? line_.size() : e;
        const void* space = std::memchr(line_.data() + pos, ' ', scan_end - pos);
        if (space != nullptr) {
          fail(i, v.name.c_str(),
               static_cast<std::size_t>(static_cast<const char*>(space) - line_.data()),
               describeShape(v.shape));
          return false;
        }
        if (e == kNoMatch) {
          fail(i, v.name.c_str(), line_.size(), v.next_desc.c_str());
          return false;
        }
        values_[i] = line_.substr(pos, e - pos);
        pos = e + next.size();
        return true;
      }
      case ValueShape::kHostName: {
        const std::size_t e = line_.find('/', pos);
        if (e == kNoMatch) {
          fail(i, v.name.c_str(), line_.size(), describeShape(v.shape));
          return false;
        }
        values_[i] = line_.substr(pos, e - pos);
        pos = e;
        return true;
      }
      default:
        break;
    }
    std::size_t bad = 0;
    std::size_t e;
    switch (v.shape) {
      case ValueShape::kStatus:
        e = scanStatus(line_, pos, bad);
        break;
      case ValueShape::kTimeLocal:
        e = scanTimeLocal(line_, pos, bad);
        break;
      case ValueShape::kTimeIso8601:
        e = scanTimeIso(line_, pos, bad);
        break;
      case ValueShape::kDecimal:
        e = scanDecimal(line_, pos);
        break;
      default:
        e = scanList(v.shape, line_, pos, next.empty() ? '\0' : next[0]);
    }
    if (e == kNoMatch) {
      fail(i, v.name.c_str(), bad, describeShape(v.shape));
      return false;
    }
    values_[i] = line_.substr(pos, e - pos);
    if (!next.empty()) {
      const std::size_t k = commonPrefix(line_, e, next);
      if (k < next.size()) {
        if (k == 0 && e == pos) {
          fail(i, v.name.c_str(), e, describeShape(v.shape));  // nothing of the value's shape
        } else {
          // Nothing of the literal matched: it was to close this value, so this value is
          // named. Part of it matched: the rest opens the next value, which is named.
          const bool opens_next = !v.last && k > 0;
          fail(opens_next ? i + 1 : i, opens_next ? f_.vars[i + 1].name.c_str() : v.name.c_str(),
               e + k, describeChar(next[k]));
        }
        return false;
      }
      e += next.size();
    }
    if (v.last && e != line_.size()) {
      fail(i, v.name.c_str(), e, "end of line");
      return false;
    }
    pos = e;
    return true;
  }

  const LogFormat::Impl& f_;
  std::string_view line_;
  std::array<std::string_view, kMaxFormatVariables>& values_;
  ParseFailure& failure_;
  std::array<Choice, kMaxFormatVariables> choices_;
  std::size_t choice_count_ = 0;
  bool failed_ = false;
  std::size_t failed_var_ = 0;
};

void setFound(std::string_view line, ParseFailure& failure) {
  failure.found_bytes = {};
  if (failure.offset >= line.size()) {
    failure.offset = line.size();
    failure.at_end = true;
    failure.found = 0;
    failure.found_len = 0;
    return;
  }
  failure.at_end = false;
  const auto* s = reinterpret_cast<const unsigned char*>(line.data());
  const unsigned char c = s[failure.offset];
  failure.found = c;
  failure.found_bytes[0] = c;
  failure.found_len = 1;
  std::size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
  if (c < 0x80) len = 1;
  if (len > 1 && failure.offset + len <= line.size()) {
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[failure.offset + k] & 0xC0) != 0x80) return;
    }
    for (std::size_t k = 1; k < len; ++k) failure.found_bytes[k] = s[failure.offset + k];
    failure.found_len = static_cast<uint8_t>(len);
  }
}

// When matching failed before the time field, a line whose timestamp is intact but whose
// bracket around it is not (a copy that turned '[' into 'Ä') is best explained by naming the
// character missing in front of the timestamp. Runs on failed lines only.
void diagnoseAroundTime(const LogFormat::Impl& f, std::string_view line, std::size_t failed_var,
                        ParseFailure& failure) {
  if (f.time_var == SIZE_MAX || failed_var > f.time_var) return;
  const FormatVariable& tv = f.vars[f.time_var];
  const std::string_view before =
      f.time_var == 0 ? std::string_view(f.lead) : std::string_view(f.vars[f.time_var - 1].next);
  if (before.empty()) return;
  const bool local = tv.shape == ValueShape::kTimeLocal;
  const std::size_t width = local ? 26 : 19;
  std::size_t at = kNoMatch;
  for (std::size_t p = 0; p + width <= line.size(); ++p) {
    if (!isDigit(line[p])) continue;
    std::size_t bad;
    const std::size_t e = local ? scanTimeLocal(line, p, bad) : scanTimeIso(line, p, bad);
    if (e != kNoMatch && e >= p + width) {
      at = p;
      break;
    }
  }
  if (at == kNoMatch) return;
  for (std::size_t k = before.size(); k-- > 0;) {
    const std::size_t back = before.size() - k;  // bytes before the timestamp
    if (at < back) {
      failure.field = tv.name.c_str();
      failure.offset = 0;
      failure.expected = describeChar(before[k]);
      return;
    }
    std::size_t q = at - back;
    if (line[q] == before[k]) continue;
    // Point at the start of a multi-byte character, not into its middle.
    while (q > 0 && (static_cast<unsigned char>(line[q]) & 0xC0) == 0x80) --q;
    failure.field = tv.name.c_str();
    failure.offset = q;
    failure.expected = describeChar(before[k]);
    return;
  }
}

// ---- the apply pass ----

unsigned daysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

unsigned monthFromName(const char* s) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  for (unsigned m = 0; m < 12; ++m) {
    if (std::memcmp(kMonths.data() + 3 * m, s, 3) == 0) return m + 1;
  }
  return 0;
}

int two(const char* s) { return digit(s[0]) * 10 + digit(s[1]); }

bool clockValid(int h, int m, int s) { return h < 24 && m < 60 && s <= 60; }

// "16/Nov/2022:11:26:28 +0900" (shape already checked).
bool convertTimeLocal(std::string_view v, AccessParser::DateCache& cache, AccessRecord& out) {
  const char* s = v.data();
  int64_t days;
  if (cache.valid && std::memcmp(cache.key.data(), s, 11) == 0) {
    days = cache.days;
  } else {
    const unsigned month = monthFromName(s + 3);
    const auto day = static_cast<unsigned>(two(s));
    const int64_t year = two(s + 7) * 100 + two(s + 9);
    if (month == 0 || day == 0 || day > daysInMonth(year, month)) return false;
    days = daysFromCivil(year, month, day);
    std::memcpy(cache.key.data(), s, 11);
    cache.days = days;
    cache.valid = true;
  }
  const int h = two(s + 12), m = two(s + 15), sec = two(s + 18);
  const int oh = two(s + 22), om = two(s + 24);
  if (!clockValid(h, m, sec) || oh > 23 || om > 59) return false;
  const int offset = (s[21] == '-' ? -1 : 1) * (oh * 60 + om);
  const int64_t utc = days * 86400 + h * 3600 + m * 60 + sec - offset * 60;
  out.time = Timestamp(Millis(utc * 1000));
  out.utc_offset_minutes = static_cast<int16_t>(offset);
  out.has_time = true;
  return true;
}

// "2022-11-16T11:26:28+09:00" or "...Z" (shape already checked).
bool convertTimeIso(std::string_view v, AccessRecord& out) {
  const char* s = v.data();
  const int64_t year = two(s) * 100 + two(s + 2);
  const auto month = static_cast<unsigned>(two(s + 5));
  const auto day = static_cast<unsigned>(two(s + 8));
  if (month < 1 || month > 12 || day == 0 || day > daysInMonth(year, month)) return false;
  const int h = two(s + 11), m = two(s + 14), sec = two(s + 17);
  if (!clockValid(h, m, sec)) return false;
  int offset = 0;
  if (v.size() == 25) {
    const int oh = two(s + 20), om = two(s + 23);
    if (oh > 23 || om > 59) return false;
    offset = (s[19] == '-' ? -1 : 1) * (oh * 60 + om);
  }
  const int64_t utc =
      daysFromCivil(year, month, day) * 86400 + h * 3600 + m * 60 + sec - offset * 60;
  out.time = Timestamp(Millis(utc * 1000));
  out.utc_offset_minutes = static_cast<int16_t>(offset);
  out.has_time = true;
  return true;
}

// Integer and fraction of a "digits[.digits]" value; false for "-" and "".
bool splitDecimal(std::string_view v, int64_t& whole, int64_t& frac, int& frac_digits) {
  if (v.empty() || !isDigit(v[0])) return false;
  whole = 0;
  std::size_t i = 0;
  for (; i < v.size() && isDigit(v[i]); ++i) {
    if (i < kMaxIntegerDigits) whole = whole * 10 + digit(v[i]);
  }
  frac = 0;
  frac_digits = 0;
  if (i < v.size() && v[i] == '.') {
    for (++i; i < v.size() && isDigit(v[i]); ++i) {
      if (frac_digits < 9) {
        frac = frac * 10 + digit(v[i]);
        ++frac_digits;
      }
    }
  }
  return true;
}

double toDouble(std::string_view v) {
  static constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  int64_t whole, frac;
  int frac_digits;
  if (!splitDecimal(v, whole, frac, frac_digits)) return -1;
  return static_cast<double>(whole) + static_cast<double>(frac) / kPow10[frac_digits];
}

// Calls fn(item) for each item of an upstream list ("a, b : c").
template <class Fn>
void forEachItem(std::string_view v, Fn&& fn) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::size_t sep = listSeparator(v, i);
    if (sep != 0) {
      fn(v.substr(start, i - start));
      i += sep - 1;
      start = i + 1;
    }
  }
  fn(v.substr(start));
}

bool isPresent(std::string_view v) { return !v.empty() && v != "-"; }

bool isTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

void splitTarget(std::string_view target, AccessRecord& out) {
  const std::size_t q = target.find('?');
  if (q == kNoMatch) {
    out.path = target;
    out.query = {};
  } else {
    out.path = target.substr(0, q);
    out.query = target.substr(q + 1);
  }
}

// "METHOD SP target SP PROTOCOL". Anything else (garbage bytes, "", no protocol) leaves the
// fields it can't tell empty: a request's content never makes a line malformed.
void splitRequest(std::string_view r, AccessRecord& out) {
  const std::size_t sp = r.find(' ');
  if (sp == kNoMatch || sp == 0 || sp > kMaxMethodLength) return;
  for (std::size_t i = 0; i < sp; ++i) {
    if (!isTokenChar(r[i])) return;
  }
  out.method = r.substr(0, sp);
  std::string_view rest = r.substr(sp + 1);
  const std::size_t last = rest.rfind(' ');
  if (last != kNoMatch && rest.substr(last + 1).starts_with("HTTP/")) {
    out.protocol = rest.substr(last + 1);
    rest = rest.substr(0, last);
    while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  }
  splitTarget(rest, out);
}

void resetRecord(AccessRecord& r, std::string_view line) {
  r.line = line;
  r.time = Timestamp{};
  r.utc_offset_minutes = 0;
  r.has_time = false;
  r.status = 0;
  r.method = r.path = r.query = r.protocol = r.host = r.remote_addr = {};
  r.user_agent = r.referer = r.upstream_addr_raw = r.upstream_status_raw = {};
  r.first_upstream_addr = {};
  r.upstream_reach = UpstreamReach::kUnknown;
  r.upstream_status_count = 0;
  r.request_time = -1;
  r.upstream_response_time = -1;
  r.body_bytes = -1;
  r.extra_count = 0;
}

void addExtra(AccessRecord& r, std::string_view name, std::string_view value) {
  if (r.extra_count < AccessRecord::kMaxExtraFields) {
    r.extra[r.extra_count++] = AccessRecord::ExtraField{name, value};
  }
}

}  // namespace

AccessParser::AccessParser(LogFormat format) { formats_.push_back(std::move(format)); }
AccessParser::AccessParser(std::vector<LogFormat> formats) : formats_(std::move(formats)) {}

AccessParser::Outcome AccessParser::parseWith(const LogFormat& format, std::string_view line,
                                              AccessRecord& out, ParseFailure& failure,
                                              bool check_quotes) {
  const LogFormat::Impl& f = format.impl();
  std::array<std::string_view, kMaxFormatVariables>& values = values_;
  Matcher matcher(f, line, values, failure);
  if (!matcher.run()) {
    diagnoseAroundTime(f, line, matcher.failedVariable(), failure);
    setFound(line, failure);
    return Outcome::kFailed;
  }

  resetRecord(out, line);
  std::string_view request, request_uri, uri, args, method;
  bool has_body_bytes_sent = false;
  bool reached = false;
  bool unescaped_quote = false;
  for (std::size_t i = 0; i < f.vars.size(); ++i) {
    const FormatVariable& v = f.vars[i];
    const std::string_view value = values[i];
    if (check_quotes && v.shape == ValueShape::kText && value.find('"') != kNoMatch) {
      unescaped_quote = true;
    }
    switch (v.kind) {
      case FieldKind::kRemoteAddr:
        out.remote_addr = value;
        break;
      case FieldKind::kTimeLocal:
        if (!out.has_time && value.size() == 26 && !convertTimeLocal(value, date_cache_, out)) {
          failure = ParseFailure{};
          failure.field = v.name.c_str();
          failure.offset = static_cast<std::size_t>(value.data() - line.data());
          failure.expected = "a valid date and time";
          setFound(line, failure);
          return Outcome::kFailed;
        }
        break;
      case FieldKind::kTimeIso8601:
        if (!out.has_time && value.size() >= 20 && !convertTimeIso(value, out)) {
          failure = ParseFailure{};
          failure.field = v.name.c_str();
          failure.offset = static_cast<std::size_t>(value.data() - line.data());
          failure.expected = "a valid date and time";
          setFound(line, failure);
          return Outcome::kFailed;
        }
        break;
      case FieldKind::kMsec:
        if (!out.has_time) {
          int64_t whole, frac;
          int frac_digits;
          if (splitDecimal(value, whole, frac, frac_digits)) {
            if (whole > kMaxEpochSeconds) {
              failure = ParseFailure{};
              failure.field = v.name.c_str();
              failure.offset = static_cast<std::size_t>(value.data() - line.data());
              failure.expected = "seconds since 1970 (a time before the year 5138)";
              setFound(line, failure);
              return Outcome::kFailed;
            }
            while (frac_digits < 3) {
              frac *= 10;
              ++frac_digits;
            }
            while (frac_digits > 3) {
              frac /= 10;
              --frac_digits;
            }
            out.time = Timestamp(Millis(whole * 1000 + frac));
            out.utc_offset_minutes = 0;
            out.has_time = true;
          }
        }
        break;
      case FieldKind::kRequest:
        request = value;
        break;
      case FieldKind::kRequestUri:
        request_uri = value;
        break;
      case FieldKind::kUri:
        uri = value;
        break;
      case FieldKind::kArgs:
        args = value;
        break;
      case FieldKind::kRequestMethod:
        method = value;
        break;
      case FieldKind::kServerProtocol:
        out.protocol = value;
        break;
      case FieldKind::kStatus:
        out.status =
            static_cast<uint16_t>(digit(value[0]) * 100 + digit(value[1]) * 10 + digit(value[2]));
        break;
      case FieldKind::kHost:
        if (out.host.empty() && isPresent(value)) out.host = value;
        break;
      case FieldKind::kUpstreamAddr:
        out.upstream_addr_raw = value;
        {
          bool first = true;
          forEachItem(value, [&](std::string_view item) {
            if (first && isPresent(item)) out.first_upstream_addr = item;
            first = false;
            if (isPresent(item)) reached = true;
          });
        }
        break;
      case FieldKind::kUpstreamStatus:
        out.upstream_status_raw = value;
        forEachItem(value, [&](std::string_view item) {
          if (item.size() == 3 && isDigit(item[0])) {
            reached = true;
            if (out.upstream_status_count < AccessRecord::kMaxUpstreamAttempts) {
              out.upstream_statuses[out.upstream_status_count++] = static_cast<uint16_t>(
                  digit(item[0]) * 100 + digit(item[1]) * 10 + digit(item[2]));
            }
          }
        });
        break;
      case FieldKind::kRequestTime:
        out.request_time = toDouble(value);
        break;
      case FieldKind::kUpstreamResponseTime: {
        double sum = 0;
        bool any = false;
        forEachItem(value, [&](std::string_view item) {
          const double d = toDouble(item);
          if (d >= 0) {
            sum += d;
            any = true;
          }
        });
        out.upstream_response_time = any ? sum : -1;
        break;
      }
      case FieldKind::kBodyBytesSent: {
        int64_t whole, frac;
        int frac_digits;
        out.body_bytes = splitDecimal(value, whole, frac, frac_digits) ? whole : -1;
        has_body_bytes_sent = true;
        break;
      }
      case FieldKind::kBytesSent: {
        addExtra(out, v.name, value);
        int64_t whole, frac;
        int frac_digits;
        if (!has_body_bytes_sent && splitDecimal(value, whole, frac, frac_digits)) {
          out.body_bytes = whole;
        }
        break;
      }
      case FieldKind::kUserAgent:
        out.user_agent = value;
        break;
      case FieldKind::kReferer:
        out.referer = value;
        break;
      case FieldKind::kExtra:
        addExtra(out, v.name, value);
        break;
    }
  }
  if (!request.empty()) splitRequest(request, out);
  if (isPresent(request_uri)) splitTarget(request_uri, out);
  if (out.path.empty() && isPresent(uri)) out.path = uri;
  if (out.query.empty() && isPresent(args)) out.query = args;
  if (isPresent(method)) out.method = method;
  if (f.has_upstream) {
    out.upstream_reach = reached ? UpstreamReach::kReached : UpstreamReach::kNotReached;
  }
  return unescaped_quote ? Outcome::kMatchedUnescapedQuote : Outcome::kMatched;
}

bool AccessParser::parse(std::string_view line, AccessRecord& out, ParseFailure& failure) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  matched_format_ = 0;
  if (formats_.size() == 1) {
    return parseWith(formats_[0], line, out, failure, false) != Outcome::kFailed;
  }
  // Several formats: the first whose match needs no raw '"' inside a value wins. nginx escapes
  // '"' in every value (escape=default), so a match that needs one is a shorter format
  // swallowing a longer one's tail (combined reading a `main` line); it is used only when no
  // format matches cleanly.
  std::size_t fallback = SIZE_MAX;
  ParseFailure scratch;
  for (std::size_t i = 0; i < formats_.size(); ++i) {
    const bool check = formats_[i].escape() == LogEscape::kDefault;
    const Outcome o = parseWith(formats_[i], line, out, i == 0 ? failure : scratch, check);
    if (o == Outcome::kMatched) {
      matched_format_ = i;
      return true;
    }
    if (o == Outcome::kMatchedUnescapedQuote && fallback == SIZE_MAX) fallback = i;
  }
  if (fallback == SIZE_MAX) return false;
  matched_format_ = fallback;
  return parseWith(formats_[fallback], line, out, scratch, false) != Outcome::kFailed;
}

std::string describe(const ParseFailure& failure) {
  std::string out = failure.field;
  out += " at byte ";
  out += std::to_string(failure.offset);
  out += ": expected ";
  out += failure.expected;
  out += ", found ";
  if (failure.at_end) {
    out += "end of line";
  } else if (failure.found_len > 1) {
    out += '\'';
    for (uint8_t k = 0; k < failure.found_len; ++k) {
      out += static_cast<char>(failure.found_bytes[k]);
    }
    out += "' (";
    for (uint8_t k = 0; k < failure.found_len; ++k) {
      if (k > 0) out += ' ';
      out += describeChar(static_cast<char>(failure.found_bytes[k]));
    }
    out += ')';
  } else {
    out += describeChar(static_cast<char>(failure.found));
  }
  return out;
}

}  // namespace gw
