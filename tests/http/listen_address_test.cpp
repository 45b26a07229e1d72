// http.listen forms and their errors, and what a failed bind tells the operator.
#include "http/listen_address.h"

#include <gtest/gtest.h>

namespace gw {
namespace {

struct Good {
  const char* text;
  const char* host;
  uint16_t port;
  bool loopback;
};

TEST(ListenAddress, AcceptedForms) {
  const Good cases[] = {
      {"127.0.0.1:9177", "127.0.0.1", 9177, true},
      {"[::1]:9177", "::1", 9177, true},
      {":9177", "", 9177, false},
      {"*:9177", "", 9177, false},
      {"0.0.0.0:80", "0.0.0.0", 80, false},
      {"10.1.2.3:65535", "10.1.2.3", 65535, false},
      {"localhost:9177", "127.0.0.1", 9177, true},
      {"127.0.0.1:0", "127.0.0.1", 0, true},
      {"[fe80::1]:9177", "fe80::1", 9177, false},
  };
  for (const Good& c : cases) {
    auto parsed = parseListenAddress(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error().message;
    EXPECT_EQ(parsed->host, c.host) << c.text;
    EXPECT_EQ(parsed->port, c.port) << c.text;
    EXPECT_EQ(parsed->loopback(), c.loopback) << c.text;
  }
}

TEST(ListenAddress, RejectedFormsNameTheValueAndTheAcceptedForms) {
  const char* cases[] = {"",          "127.0.0.1",       "127.0.0.1:", "127.0.0.1:65536",
                         "::1:9177",  "[::1]",           "[::1:9177",  "[127.0.0.1]:9177",
                         "host:9177", "127.0.0.1:+80",   "1.2.3:9177", "127.0.0.1:99999999",
                         ":",         "127.0.0.1:9177 ", "[::1]x9177"};
  for (const char* text : cases) {
    auto parsed = parseListenAddress(text);
    ASSERT_FALSE(parsed.ok()) << "accepted: \"" << text << "\"";
    EXPECT_NE(parsed.error().message.find("http.listen \"" + std::string(text) + "\""),
              std::string::npos)
        << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("127.0.0.1:9177"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(ListenAddress, BareIpv6AddressIsToldToUseBrackets) {
  auto parsed = parseListenAddress("::1:9177");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("brackets"), std::string::npos);
}

TEST(ListenAddress, DisplayFormsRoundTrip) {
  EXPECT_EQ(parseListenAddress("[::1]:9177")->display(), "[::1]:9177");
  EXPECT_EQ(parseListenAddress("127.0.0.1:9177")->display(), "127.0.0.1:9177");
  EXPECT_EQ(parseListenAddress(":9177")->display(), "*:9177");
}

TEST(BindErrorMessage, PortInUseSaysSoAndHowToTurnItOff) {
  const std::string message = bindErrorMessage(*parseListenAddress("127.0.0.1:9177"),
                                               std::make_error_code(std::errc::address_in_use));
  EXPECT_EQ(message,
            "port 9177 on 127.0.0.1 is already in use (another gatewatch?); set http.listen to "
            "another port or \"\" to turn the status server off");
}

TEST(BindErrorMessage, PrivilegedPortNamesTheLimit) {
  const std::string message = bindErrorMessage(*parseListenAddress("0.0.0.0:80"),
                                               std::make_error_code(std::errc::permission_denied));
  EXPECT_NE(message.find("ports below 1024"), std::string::npos) << message;
  EXPECT_NE(message.find("port 80"), std::string::npos) << message;
}

TEST(BindErrorMessage, ForeignAddressIsNotOfThisMachine) {
  const std::string message = bindErrorMessage(
      *parseListenAddress("10.9.9.9:9177"), std::make_error_code(std::errc::address_not_available));
  EXPECT_NE(message.find("10.9.9.9 is not an address of this machine"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace gw
