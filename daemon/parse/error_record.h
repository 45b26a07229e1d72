// ErrorRecord: one parsed nginx error.log line. Views into the line buffer, as AccessRecord.
//   2022/11/16 11:26:28 [error] 1234#1234: *5678 connect() failed (111: Connection refused)
//   while connecting to upstream, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1",
//   upstream: "http://127.0.0.1:8080/", host: "x"
#pragma once

#include <cstdint>
#include <string_view>

#include "common/time.h"

namespace gw {

enum class ErrorLevel : uint8_t { kDebug, kInfo, kNotice, kWarn, kError, kCrit, kAlert, kEmerg };

struct ErrorRecord {
  std::string_view line;
  Timestamp time{};  // error.log writes local time without an offset: the source's zone decides
  int16_t utc_offset_minutes = 0;
  ErrorLevel level = ErrorLevel::kError;
  int64_t pid = -1;
  int64_t tid = -1;
  int64_t connection = -1;  // the "*5678" connection id; -1 when absent
  std::string_view
      message;  // text after the connection id up to the first ", client: " (or the end)
  std::string_view client;
  std::string_view server;
  std::string_view request;   // without the quotes
  std::string_view upstream;  // without the quotes
  std::string_view host;      // without the quotes
  std::string_view referrer;  // without the quotes
};

}  // namespace gw
