// The query string of a status-server request decoded into named parameters, and the value
// parsers the endpoints share (RFC 3339 times, booleans, bounded integers). Pure; every failure
// comes back as a ParamProblem naming the parameter and the accepted form, for a 400 answer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/time.h"

namespace gw {

// A request has no use for more parameters than this; more is a malformed or hostile request,
// and the bound keeps the work per request small.
inline constexpr std::size_t kMaxQueryParams = 32;

// What was wrong with one parameter: the 400 answer's body names both.
struct ParamProblem {
  std::string parameter;  // as the client spelled it (decoded)
  std::string message;    // what is wrong and the accepted form
};

class QueryParams {
 public:
  // Parses "a=1&b=x%20y" ('+' is a space; a name without '=' has the value ""). Fails on a bad
  // %-escape, an empty name, a name given twice or more than kMaxQueryParams parameters.
  static std::variant<QueryParams, ParamProblem> parse(std::string_view query);

  // The decoded value, or nullptr when the parameter is absent.
  const std::string* find(std::string_view name) const;
  // The first parameter whose name is not in `accepted` (a typo such as `sinse=24h` would
  // otherwise widen the answer silently).
  std::optional<ParamProblem> rejectUnknown(std::initializer_list<std::string_view> accepted) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// RFC 3986 %-decoding into `out` (cleared first); false on a truncated or non-hex escape.
bool percentDecode(std::string_view text, bool plus_is_space, std::string& out);

// "2022-11-16T11:26:28+09:00", "2022-11-16T02:26:28.5Z" (RFC 3339 date-time: 'T' or 't' or a
// space between date and time, fractional seconds to any precision, 'Z' or an offset).
std::optional<Timestamp> parseRfc3339(std::string_view text);

// "true", "false", "1", "0" and "" (a bare `open` means true).
std::optional<bool> parseBoolParam(std::string_view text);

// Decimal digits only, no sign, no overflow.
std::optional<uint64_t> parseUnsignedParam(std::string_view text);

}  // namespace gw
