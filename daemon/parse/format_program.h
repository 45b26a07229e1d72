// The compiled form of a log_format (LogFormat::Impl): a leading literal, then variables each
// followed by the literal that ends it. Private to parse/: LogFormat compiles it, AccessParser runs
// it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parse/log_format.h"

namespace gw {

inline constexpr std::size_t kMaxFormatVariables = AccessParser::kMaxVariables;

// Which record slot a variable fills. Everything without a slot goes to AccessRecord::extra.
enum class FieldKind : uint8_t {
  kExtra,
  kRemoteAddr,
  kTimeLocal,
  kTimeIso8601,
  kMsec,
  kRequest,
  kRequestUri,
  kUri,
  kArgs,
  kRequestMethod,
  kServerProtocol,
  kStatus,
  kHost,  // $host, $http_host, $server_name: the first one present wins
  kUpstreamAddr,
  kUpstreamStatus,
  kRequestTime,
  kUpstreamResponseTime,
  kBodyBytesSent,
  kBytesSent,
  kUserAgent,
  kReferer,
};

// How the matcher finds where a value ends.
enum class ValueShape : uint8_t {
  kText,         // anything up to the next literal (first occurrence, retried on a later mismatch)
  kHostName,     // like kText, but also ends at '/' ($host$request_uri)
  kToken,        // like kText, but never holds a space: addresses, host names, ports
  kStatus,       // 3 digits
  kTimeLocal,    // 16/Nov/2022:11:26:28 +0900
  kTimeIso8601,  // 2022-11-16T11:26:28+09:00
  kDecimal,      // 1668565588.123, 0.004, 57
  kDecimalList,  // $upstream_response_time: "0.004, 0.002 : -"
  kStatusList,   // $upstream_status: "502, 200", "502 : 200", "-"
  kAddrList,     // $upstream_addr: "10.0.0.1:80, 10.0.0.2:80", "unix:/x.sock", "-"
};

struct FormatVariable {
  std::string name;  // without '$'; NUL-terminated (ParseFailure::field points at it)
  FieldKind kind = FieldKind::kExtra;
  ValueShape shape = ValueShape::kText;
  std::string next;       // the literal after the value; empty: end of line or an adjacent variable
  bool last = false;      // no variable follows: `next` must end the line
  std::string next_desc;  // "literal '\" '" for failures
};

struct LogFormat::Impl {
  std::string text;  // normalised: quotes, escape= and the directive removed
  LogEscape escape = LogEscape::kDefault;
  std::string lead;  // the literal before the first variable
  std::vector<FormatVariable> vars;
  bool has_upstream = false;
  bool has_time = false;
  std::size_t time_var = SIZE_MAX;  // index of $time_local/$time_iso8601, for failure diagnosis
};

}  // namespace gw
