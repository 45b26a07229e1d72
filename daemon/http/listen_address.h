// http.listen parsed: "127.0.0.1:9177", "[::1]:9177", ":9177" (every address). IP literals
// and "localhost" only — the status server never resolves names (no DNS at start, no surprise
// about which interface a name maps to). Pure, so the forms and their errors are tested as a
// table; binding and its errors live in status_server.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "common/result.h"

namespace gw {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal without brackets; "" for every address
  uint16_t port = 0;
  bool any() const { return host.empty(); }
  bool ipv6() const { return host.find(':') != std::string::npos; }
  bool loopback() const;        // 127.0.0.0/8 or ::1
  std::string display() const;  // "127.0.0.1:9177", "[::1]:9177", "*:9177"
};

// An error names the value and the accepted forms. "" is an error too: it means "off", and the
// caller does not start the server then.
Result<ListenAddress> parseListenAddress(std::string_view text);

// What a failed bind means for the operator: in use, a privileged port, an address this
// machine does not have.
std::string bindErrorMessage(const ListenAddress& address, std::error_code error);

}  // namespace gw
