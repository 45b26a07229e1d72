// AccessRecord: one parsed nginx access-log line. Every text field is a view into the line
// buffer the parser was given (valid until that buffer changes): no allocation per line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/time.h"

namespace gw {

// What the format tells us about upstreams, and what this line says.
enum class UpstreamReach : uint8_t {
  kUnknown,  // the format carries neither $upstream_addr nor $upstream_status: status alone decides
  kReached,  // at least one upstream was tried
  kNotReached,  // nginx answered by itself ("-"): limit_req 503, 499, 400 ... rules leave it out
};

struct AccessRecord {
  static constexpr std::size_t kMaxUpstreamAttempts =
      8;  // nginx retries beyond this are rare; later ones are counted, not kept
  static constexpr std::size_t kMaxExtraFields =
      32;  // variables the core has no slot for, kept by name

  std::string_view line;  // the whole raw line (without '\n' / "\r\n")

  Timestamp time{};                // UTC instant
  int16_t utc_offset_minutes = 0;  // the offset the line was written with (for display)
  bool has_time = false;

  uint16_t status = 0;  // 0 when the format has no $status
  std::string_view method;
  std::string_view path;   // without the query string; as logged (percent- and \xHH-escapes kept)
  std::string_view query;  // after '?', without it; empty when none
  std::string_view protocol;
  std::string_view host;  // $host, $server_name or $http_host
  std::string_view remote_addr;
  std::string_view user_agent;
  std::string_view referer;

  // $upstream_addr / $upstream_status as written: "10.0.0.1:80, 10.0.0.2:80", "502, 200", "-".
  std::string_view upstream_addr_raw;
  std::string_view upstream_status_raw;
  UpstreamReach upstream_reach = UpstreamReach::kUnknown;
  // The statuses of each upstream attempt in order (from $upstream_status; ':' groups flattened).
  std::array<uint16_t, kMaxUpstreamAttempts> upstream_statuses{};
  uint8_t upstream_status_count = 0;
  // The first upstream address tried (the one that failed when the list is "502, 200").
  std::string_view first_upstream_addr;

  double request_time = -1;            // seconds; -1 when absent or "-"
  double upstream_response_time = -1;  // seconds (sum over attempts); -1 when absent or "-"
  int64_t body_bytes = -1;

  struct ExtraField {
    std::string_view name;  // the variable's name without '$', e.g. "http_x_forwarded_for"
    std::string_view value;
  };
  std::array<ExtraField, kMaxExtraFields> extra{};
  uint8_t extra_count = 0;

  std::string_view extraField(std::string_view name) const {
    for (uint8_t i = 0; i < extra_count; ++i) {
      if (extra[i].name == name) return extra[i].value;
    }
    return {};
  }
};

// Why a line did not parse. Points into static text or into the LogFormat's own strings (valid
// while the parser that filled it lives): building one allocates nothing.
struct ParseFailure {
  const char* field = "";     // the variable or literal being matched, e.g. "status", "literal '['"
  std::size_t offset = 0;     // byte offset in the line where matching failed
  const char* expected = "";  // e.g. "3 digits", "'[' (found 0xC3)" is composed by describe()
  unsigned char found = 0;    // the byte found at offset (0 at end of line)
  bool at_end = false;        // the line ended before the format did
  // The whole character at offset when it is a valid UTF-8 sequence (found_len 2..4), so
  // describe() can show 'Ä' rather than a lone 0xC3; found_len 1 otherwise, 0 at end of line.
  std::array<unsigned char, 4> found_bytes{};
  uint8_t found_len = 0;
};

// "status at byte 57: expected 3 digits, found 'x'" (also declared in parse/log_format.h; here so
// error-log users need not include the access-log format).
std::string describe(const ParseFailure& failure);

}  // namespace gw
