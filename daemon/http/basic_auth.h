// BasicAuth: HTTP basic authentication (RFC 7617) of the status server's one user against a
// crypt(3) password hash from the config (yescrypt, SHA-512 ... as libcrypt verifies them). The
// comparison is constant-time, and the last credential that verified is remembered (as a
// SHA-256 digest, never in clear) so a browser's every request does not pay a deliberately slow
// hash. Used on the status server's one thread: not thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/router.h"

namespace gw {

// An Authorization header longer than this is refused unread (401) before any decoding: a user
// and a password anyone types fit many times over, and the bound keeps a hostile header cheap.
inline constexpr std::size_t kMaxAuthorizationBytes = 1024;

// Password hashes verified per second at most; beyond that a request is answered 429 without
// hashing. Each verification is deliberately slow (yescrypt: about 0.1 s of CPU) and runs on the
// status server's one thread: someone guessing passwords, or a script looping with a wrong one,
// must not keep that thread hashing and hold up every other answer (/healthz included).
inline constexpr int kMaxVerificationsPerSecond = 4;

// The realm browsers show in their login prompt; UTF-8 user names and passwords (RFC 7617 §2.1).
inline constexpr std::string_view kAuthChallenge = R"(Basic realm="gatewatch", charset="UTF-8")";

// Why a hash cannot be used, or "" when libcrypt accepts it as a complete hash: crypt_checksalt
// must call it OK (unknown, disabled and legacy methods such as DES are refused: a DES "hash"
// of 13 characters matches almost any text) and hashing with it must give back as many
// characters as it has (a bare setting such as "$6$salt" has no hash part to compare against).
std::string passwordHashProblem(const std::string& hash);

class BasicAuth {
 public:
  // Fails with a message naming what is wrong and how to make a hash (mkpasswd -m yescrypt).
  static Result<BasicAuth> create(std::string user, std::string password_hash);
  ~BasicAuth();
  BasicAuth(BasicAuth&&) noexcept;
  BasicAuth& operator=(BasicAuth&&) noexcept;

  // nullopt when `authorization` (the header's value) carries the configured user and
  // password; otherwise the 401 to answer, with WWW-Authenticate and a message saying which of
  // missing, malformed or wrong it was, or a 429 when kMaxVerificationsPerSecond are spent.
  std::optional<HttpResponse> check(std::string_view authorization,
                                    std::chrono::steady_clock::time_point now);

 private:
  struct Scratch;  // libcrypt's work area (about 32 KiB), allocated once
  BasicAuth(std::string user, std::string hash);

  std::string user_;
  std::string hash_;
  std::unique_ptr<Scratch> scratch_;
  std::array<unsigned char, 32> verified_{};  // SHA-256 of the last header that verified
  bool has_verified_ = false;
  std::chrono::steady_clock::time_point window_start_{};  // of the current one-second window
  int verifications_ = 0;                                 // hashes computed in it
};

// RFC 4648 base64 (standard alphabet, '=' padding optional) into `out`; false on any other byte.
bool decodeBase64(std::string_view text, std::string& out);

}  // namespace gw
