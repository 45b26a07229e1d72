#include "http/listen_address.h"

#include <boost/asio/ip/address.hpp>

namespace gw {
namespace {

constexpr std::string_view kForms =
    "expected host:port with an IP address, such as 127.0.0.1:9177, [::1]:9177 or :9177 for every "
    "address (\"\" turns the status server off)";

Error invalid(std::string_view text, std::string_view why) {
  return Error{"http.listen \"" + std::string(text) + "\": " + std::string(why) + "; " +
               std::string(kForms)};
}

bool parsePort(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

bool ListenAddress::loopback() const {
  if (any()) return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

std::string ListenAddress::display() const {
  const std::string port_text = std::to_string(port);
  if (any()) return "*:" + port_text;
  if (ipv6()) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

Result<ListenAddress> parseListenAddress(std::string_view text) {
  if (text.empty()) return invalid(text, "empty (the status server is off)");
  ListenAddress out;
  std::string_view host, port;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid(text, "no closing ']'");
    if (close + 1 >= text.size() || text[close + 1] != ':') return invalid(text, "no port");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) {
      return invalid(text, "brackets are for IPv6 addresses");
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid(text, "no port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid(text, "an IPv6 address goes in brackets, as in [::1]:9177");
    }
  }
  if (!parsePort(port, out.port)) return invalid(text, "the port must be a number 0-65535");

  if (host.empty() || host == "*") return out;  // every address
  if (host == "localhost") {
    out.host = "127.0.0.1";
    return out;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return invalid(text, "\"" + std::string(host) + "\" is not an IP address");
  out.host = address.to_string();
  return out;
}

std::string bindErrorMessage(const ListenAddress& address, std::error_code error) {
  const std::string port = std::to_string(address.port);
  const std::string where = address.any() ? "every address" : address.host;
  constexpr std::string_view kOff = "\"\" to turn the status server off";
  if (error == std::errc::address_in_use) {
    return "port " + port + " on " + where +
           " is already in use (another gatewatch?); set http.listen to another port or " +
           std::string(kOff);
  }
  if (error == std::errc::permission_denied || error == std::errc::operation_not_permitted) {
    if (address.port != 0 && address.port < 1024) {
      return "listening on port " + port + " on " + where +
             " was refused: ports below 1024 need privileges gatewatch does not have; set "
             "http.listen to a port of 1024 or above (such as 127.0.0.1:9177) or " +
             std::string(kOff);
    }
    return "listening on " + address.display() +
           " was refused (permission denied: a security policy forbids it); set http.listen to "
           "another address or " +
           std::string(kOff);
  }
  if (error == std::errc::address_not_available) {
    return "cannot listen on " + address.display() + ": " + where +
           " is not an address of this machine; set http.listen to one of its addresses (such "
           "as 127.0.0.1:9177) or " +
           std::string(kOff);
  }
  if (error == std::errc::address_family_not_supported) {
    return "cannot listen on " + address.display() +
           ": IPv6 is not available on this machine; set http.listen to an IPv4 address (such "
           "as 127.0.0.1:9177) or " +
           std::string(kOff);
  }
  return "cannot listen on " + address.display() + ": " + error.message() +
         "; set http.listen to another address or " + std::string(kOff);
}

}  // namespace gw
