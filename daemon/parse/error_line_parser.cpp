// ErrorLineParser: "2022/11/16 11:26:28 [error] 1234#1234: *5678 message, client: ..., server:
// ..., request: "...", upstream: "...", host: "...", referrer: "..."". The head is fixed; the
// tail is nginx's ngx_http_log_error() context, in that order, each part optional.
#include "parse/error_line_parser.h"

#include <array>
#include <cstring>

namespace gw {
namespace {

constexpr std::size_t kNoMatch = std::string_view::npos;
// pid, tid and connection ids are below 2^63; more digits are not an nginx line.
constexpr std::size_t kMaxIdDigits = 18;

inline bool isDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

struct Cursor {
  std::string_view line;
  std::size_t pos = 0;
  ParseFailure& failure;

  bool fail(const char* field, std::size_t at, const char* expected) {
    failure = ParseFailure{};
    failure.field = field;
    failure.offset = at;
    failure.expected = expected;
    if (at < line.size()) {
      failure.found = static_cast<unsigned char>(line[at]);
      failure.found_bytes[0] = failure.found;
      failure.found_len = 1;
    } else {
      failure.offset = line.size();
      failure.at_end = true;
    }
    return false;
  }

  bool literal(std::string_view lit, const char* field, const char* expected) {
    for (std::size_t k = 0; k < lit.size(); ++k) {
      if (pos + k >= line.size() || line[pos + k] != lit[k]) return fail(field, pos + k, expected);
    }
    pos += lit.size();
    return true;
  }

  bool number(int64_t& out, const char* field, const char* expected) {
    const std::size_t start = pos;
    out = 0;
    while (pos < line.size() && isDigit(line[pos]) && pos - start < kMaxIdDigits) {
      out = out * 10 + (line[pos] - '0');
      ++pos;
    }
    if (pos == start) return fail(field, pos, expected);
    return true;
  }
};

bool levelFromName(std::string_view name, ErrorLevel& out) {
  static constexpr std::array<std::pair<std::string_view, ErrorLevel>, 8> kLevels = {{
      {"debug", ErrorLevel::kDebug},
      {"info", ErrorLevel::kInfo},
      {"notice", ErrorLevel::kNotice},
      {"warn", ErrorLevel::kWarn},
      {"error", ErrorLevel::kError},
      {"crit", ErrorLevel::kCrit},
      {"alert", ErrorLevel::kAlert},
      {"emerg", ErrorLevel::kEmerg},
  }};
  for (const auto& [n, level] : kLevels) {
    if (n == name) {
      out = level;
      return true;
    }
  }
  return false;
}

int two(const char* s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

// The context parts nginx appends, in its order. Quoted ones are written as key: "value".
struct TailKey {
  std::string_view key;  // with ": "
  bool quoted;
  std::string_view ErrorRecord::*field;
};
constexpr std::array<TailKey, 7> kTailKeys = {{
    {"client: ", false, &ErrorRecord::client},
    {"server: ", false, &ErrorRecord::server},
    {"request: ", true, &ErrorRecord::request},
    {"subrequest: ", true, nullptr},
    {"upstream: ", true, &ErrorRecord::upstream},
    {"host: ", true, &ErrorRecord::host},
    {"referrer: ", true, &ErrorRecord::referrer},
}};

// Parses the context from `pos` (just after ", " that precedes "client: "). Stops quietly at a
// part it does not know (the stream module's "bytes from/to client:46/16"): the message and
// the parts read so far stand.
void parseTail(std::string_view line, std::size_t pos, ErrorRecord& out) {
  while (pos < line.size()) {
    const TailKey* key = nullptr;
    for (const TailKey& k : kTailKeys) {
      if (line.compare(pos, k.key.size(), k.key) == 0) {
        key = &k;
        break;
      }
    }
    if (key == nullptr) return;
    pos += key->key.size();
    std::string_view value;
    std::size_t next;
    if (key->quoted && pos < line.size() && line[pos] == '"') {
      // The closing quote is the first one followed by ", " or the end of the line.
      std::size_t q = pos + 1;
      while (true) {
        q = line.find('"', q);
        if (q == kNoMatch) return;
        if (q + 1 == line.size() || line.compare(q + 1, 2, ", ") == 0) break;
        ++q;
      }
      value = line.substr(pos + 1, q - pos - 1);
      next = q + 1;
    } else {
      const std::size_t comma = line.find(", ", pos);
      next = comma == kNoMatch ? line.size() : comma;
      value = line.substr(pos, next - pos);
    }
    if (key->field != nullptr) out.*(key->field) = value;
    if (next >= line.size()) return;
    pos = next + 2;  // ", "
  }
}

}  // namespace

ErrorLineParser::ErrorLineParser(TimeZone zone) : zone_(std::move(zone)) {}

bool ErrorLineParser::parse(std::string_view line, ErrorRecord& out, ParseFailure& failure) const {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out = ErrorRecord{};
  out.line = line;
  Cursor c{line, 0, failure};

  // "2022/11/16 11:26:28"
  static constexpr std::string_view kTimePattern = "0000/00/00 00:00:00";
  for (std::size_t k = 0; k < kTimePattern.size(); ++k) {
    const bool ok =
        k < line.size() && (kTimePattern[k] == '0' ? isDigit(line[k]) : line[k] == kTimePattern[k]);
    if (!ok) return c.fail("time", k, "a time like 2022/11/16 11:26:28");
  }
  const char* s = line.data();
  const int64_t year = two(s) * 100 + two(s + 2);
  const auto month = static_cast<unsigned>(two(s + 5));
  const auto day = static_cast<unsigned>(two(s + 8));
  const int h = two(s + 11), m = two(s + 14), sec = two(s + 17);
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) {
    return c.fail("time", 0, "a valid date and time");
  }
  const int64_t local = daysFromCivil(year, month, day) * 86400 + h * 3600 + m * 60 + sec;
  int offset_minutes = 0;
  out.time = zone_.toUtc(local, offset_minutes);
  out.utc_offset_minutes = static_cast<int16_t>(offset_minutes);
  c.pos = kTimePattern.size();

  if (!c.literal(" [", "level", "' [' after the time")) return false;
  const std::size_t level_start = c.pos;
  const std::size_t close = line.find(']', level_start);
  constexpr std::size_t kLongestLevel = 6;  // "notice"
  if (close == kNoMatch || close - level_start > kLongestLevel ||
      !levelFromName(line.substr(level_start, close - level_start), out.level)) {
    return c.fail("level", level_start,
                  "a level (debug, info, notice, warn, error, crit, alert, emerg)");
  }
  c.pos = close + 1;
  if (!c.literal(" ", "pid", "' ' after the level")) return false;
  if (!c.number(out.pid, "pid", "a process id")) return false;
  if (!c.literal("#", "tid", "'#' between process and thread id")) return false;
  if (!c.number(out.tid, "tid", "a thread id")) return false;
  if (!c.literal(":", "tid", "':' after the thread id")) return false;
  if (c.pos < line.size() && line[c.pos] == ' ') ++c.pos;
  if (c.pos + 1 < line.size() && line[c.pos] == '*' && isDigit(line[c.pos + 1])) {
    ++c.pos;
    if (!c.number(out.connection, "connection", "a connection id")) return false;
    if (c.pos < line.size() && line[c.pos] == ' ') ++c.pos;
  }

  const std::string_view rest = line.substr(c.pos);
  constexpr std::string_view kClient = ", client: ";
  const std::size_t client = rest.find(kClient);
  if (client == kNoMatch) {
    out.message = rest;
    while (!out.message.empty() && out.message.back() == ' ') out.message.remove_suffix(1);
    return true;
  }
  out.message = rest.substr(0, client);
  parseTail(line, c.pos + client + 2, out);
  return true;
}

}  // namespace gw
