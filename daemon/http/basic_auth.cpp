#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace gw {
namespace {

using Digest = std::array<unsigned char, 32>;

// A password longer than libcrypt hashes is not one: refused before hashing.
constexpr std::size_t kMaxPasswordBytes = CRYPT_MAX_PASSPHRASE_SIZE - 1;
// The same text every hash check of a hash's completeness uses: any text works.
constexpr const char* kProbePassword = "gatewatch-probe";

Digest sha256(std::string_view text) {
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

bool sameDigest(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Case-insensitive ASCII prefix (the scheme name is case-insensitive, RFC 7235 §2.1).
bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

HttpResponse challenge(std::string_view message) {
  HttpResponse response = jsonError(401, message);
  response.headers.emplace_back("WWW-Authenticate", std::string(kAuthChallenge));
  return response;
}

}  // namespace

struct BasicAuth::Scratch {
  crypt_data data;
};

bool decodeBase64(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;  // no whole byte ends there
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int value = base64Value(c);
    if (value < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return true;
}

std::string passwordHashProblem(const std::string& hash) {
  const std::string how = " (make one with `mkpasswd -m yescrypt` or `openssl passwd -6`)";
  switch (crypt_checksalt(hash.c_str())) {
    case CRYPT_SALT_OK:
      break;
    case CRYPT_SALT_METHOD_DISABLED:
      return "uses a hashing method this system's libcrypt has disabled" + how;
    case CRYPT_SALT_METHOD_LEGACY:
      return "is not a modern crypt(3) hash (DES, MD5 and other legacy methods are refused: a "
             "DES hash matches any password that starts with the same 8 characters)" +
             how;
    case CRYPT_SALT_TOO_CHEAP:
      return "is too cheap to compute to protect a password (raise its rounds)" + how;
    default:
      return "is not a crypt(3) password hash libcrypt knows ($y$... yescrypt, $6$... SHA-512)" +
             how;
  }
  auto scratch = std::make_unique<crypt_data>();
  const char* out = crypt_rn(kProbePassword, hash.c_str(), scratch.get(), sizeof(crypt_data));
  if (out == nullptr) return "is malformed: libcrypt cannot hash with it" + how;
  if (std::strlen(out) != hash.size()) {
    return "is only a salt (a setting) or cut short: it lacks the hash part" + how;
  }
  return {};
}

Result<BasicAuth> BasicAuth::create(std::string user, std::string password_hash) {
  if (user.empty() || user.find(':') != std::string::npos) {
    return Error{"http.auth_user must be a non-empty name without ':' (basic auth splits at it)"};
  }
  if (std::string problem = passwordHashProblem(password_hash); !problem.empty()) {
    return Error{"http.auth_password_hash " + problem};
  }
  return BasicAuth(std::move(user), std::move(password_hash));
}

BasicAuth::BasicAuth(std::string user, std::string hash)
    : user_(std::move(user)), hash_(std::move(hash)), scratch_(std::make_unique<Scratch>()) {}
BasicAuth::~BasicAuth() = default;
BasicAuth::BasicAuth(BasicAuth&&) noexcept = default;
BasicAuth& BasicAuth::operator=(BasicAuth&&) noexcept = default;

std::optional<HttpResponse> BasicAuth::check(std::string_view authorization,
                                             std::chrono::steady_clock::time_point now) {
  if (authorization.empty()) {
    return challenge("authentication required: this status server asks for a user and password");
  }
  if (authorization.size() > kMaxAuthorizationBytes) {
    return challenge("the Authorization header is longer than " +
                     std::to_string(kMaxAuthorizationBytes) + " bytes");
  }
  const Digest presented = sha256(authorization);
  if (has_verified_ && sameDigest(presented, verified_)) return std::nullopt;

  constexpr std::string_view kScheme = "basic ";
  if (!startsWithNoCase(authorization, kScheme)) {
    return challenge("the Authorization header must be Basic base64(user:password)");
  }
  std::string_view encoded = authorization.substr(kScheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::string decoded;
  const std::size_t colon = decodeBase64(encoded, decoded) ? decoded.find(':') : std::string::npos;
  if (colon == std::string::npos || decoded.find('\0') != std::string::npos) {
    return challenge("the Authorization header is not Basic base64(user:password)");
  }
  const std::string_view user = std::string_view(decoded).substr(0, colon);
  const std::string password = decoded.substr(colon + 1);
  if (password.size() > kMaxPasswordBytes) return challenge("wrong user or password");

  if (now - window_start_ >= std::chrono::seconds(1)) {
    window_start_ = now;
    verifications_ = 0;
  }
  if (verifications_ >= kMaxVerificationsPerSecond) {
    HttpResponse response = jsonError(429, "too many password checks this second; retry");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }
  ++verifications_;

  // The hash runs whether or not the user is right, so the time taken does not tell them apart.
  const bool user_ok = sameDigest(sha256(user), sha256(user_));
  const char* out =
      crypt_rn(password.c_str(), hash_.c_str(), &scratch_->data, sizeof(scratch_->data));
  const bool password_ok = out != nullptr && std::strlen(out) == hash_.size() &&
                           CRYPTO_memcmp(out, hash_.data(), hash_.size()) == 0;
  std::memset(&scratch_->data, 0, sizeof(scratch_->data));  // no copy of the password lingers
  if (!user_ok || !password_ok) return challenge("wrong user or password");
  verified_ = presented;
  has_verified_ = true;
  return std::nullopt;
}

}  // namespace gw
