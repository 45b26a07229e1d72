// signatureHeader: the webhook body's HMAC-SHA256 under the sink's secret, for receivers to check
// that a POST is ours and was not altered.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "alert/render.h"

namespace gw {

std::string signatureHeader(std::string_view key, std::string_view body) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  // HMAC() wants a non-null key pointer even for an empty key.
  static constexpr unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  const unsigned char* body_data =
      body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()), body_data, body.size(), mac.data(),
           &mac_length) == nullptr) {
    // Only an allocation failure inside OpenSSL gets here; an unsigned request would be
    // rejected by the receiver, which is the honest outcome.
    return "sha256=";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  out.reserve(out.size() + 2 * mac_length);
  for (unsigned int i = 0; i < mac_length; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0F];
  }
  return out;
}

}  // namespace gw
