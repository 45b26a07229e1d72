#include "http/query_params.h"

#include <chrono>
#include <limits>

namespace gw {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads exactly `width` digits at text[at]; false if any is not a digit.
bool fixedDigits(std::string_view text, std::size_t at, std::size_t width, int& out) {
  if (at + width > text.size()) return false;
  int value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool percentDecode(std::string_view text, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;  // "%", "%4" at the end
      const int hi = hexValue(text[i + 1]);
      const int lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::variant<QueryParams, ParamProblem> QueryParams::parse(std::string_view query) {
  QueryParams params;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;  // "a=1&&b=2", a trailing '&'

    const std::size_t eq = item.find('=');
    const std::string_view raw_name = item.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    std::string name, value;
    if (!percentDecode(raw_name, true, name)) {
      return ParamProblem{std::string(raw_name),
                          "the parameter name has a bad %-escape (write %XX with two hex digits)"};
    }
    if (name.empty()) {
      return ParamProblem{"", "a parameter without a name (expected name=value)"};
    }
    if (!percentDecode(raw_value, true, value)) {
      return ParamProblem{name, "the value has a bad %-escape (write %XX with two hex digits)"};
    }
    if (params.find(name) != nullptr) {
      return ParamProblem{name, "given more than once (give each parameter at most once)"};
    }
    if (params.items_.size() == kMaxQueryParams) {
      return ParamProblem{name,
                          "too many parameters (at most " + std::to_string(kMaxQueryParams) + ")"};
    }
    params.items_.emplace_back(std::move(name), std::move(value));
  }
  return params;
}

const std::string* QueryParams::find(std::string_view name) const {
  for (const auto& [key, value] : items_) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::optional<ParamProblem> QueryParams::rejectUnknown(
    std::initializer_list<std::string_view> accepted) const {
  for (const auto& item : items_) {
    bool known = false;
    for (std::string_view name : accepted) known = known || item.first == name;
    if (known) continue;
    std::string list;
    for (std::string_view name : accepted) {
      if (!list.empty()) list += ", ";
      list += name;
    }
    return ParamProblem{item.first, list.empty() ? "unknown parameter (this path takes none)"
                                                 : "unknown parameter (accepted: " + list + ")"};
  }
  return std::nullopt;
}

std::optional<Timestamp> parseRfc3339(std::string_view text) {
  // 2022-11-16T11:26:28[.fff...](Z|+09:00)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!fixedDigits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !fixedDigits(text, 5, 2, month) || text[7] != '-' || !fixedDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !fixedDigits(text, 11, 2, hour) ||
      text[13] != ':' || !fixedDigits(text, 14, 2, minute) || text[16] != ':' ||
      !fixedDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {  // 60: a leap second, allowed by RFC 3339
    return std::nullopt;
  }
  std::size_t at = 19;
  int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t digits_start = at;
    int64_t scale = 100;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      millis += (text[at] - '0') * scale;  // digits beyond milliseconds are dropped
      scale /= 10;
      ++at;
    }
    if (at == digits_start) return std::nullopt;
  }
  if (at >= text.size()) return std::nullopt;  // the offset is required
  int offset_minutes = 0;
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    int oh = 0, om = 0;
    if (!fixedDigits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !fixedDigits(text, at + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;

  const int64_t days =
      daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return Timestamp{Millis{seconds * 1000 + millis}};
}

std::optional<bool> parseBoolParam(std::string_view text) {
  if (text == "true" || text == "1" || text.empty()) return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

std::optional<uint64_t> parseUnsignedParam(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace gw
