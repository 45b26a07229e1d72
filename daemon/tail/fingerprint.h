// Content fingerprints that tell one file from another beyond device + inode: a hash of the head
// bytes (start of the file) and of the marker bytes (just before the read offset). A mismatch
// means the file was truncated, rewritten or its inode reused.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace gw {

// Head bytes hashed at the start of a file: enough to differ between files that start alike
// (an access log's first line carries a timestamp), small enough to read on every check.
inline constexpr std::size_t kHeadBytes = 256;
// Marker bytes hashed just before the saved offset: catches a file truncated and regrown past
// the old offset between two looks, which a size comparison cannot see.
inline constexpr std::size_t kMarkerBytes = 64;

struct Fingerprint {
  uint32_t len = 0;
  uint64_t hash = 0;
  bool operator==(const Fingerprint&) const = default;
};

// FNV-1a, 64 bit: no dependency, fast enough for a few hundred bytes per check.
inline uint64_t hashBytes(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

inline Fingerprint fingerprintOf(std::string_view bytes) {
  return {static_cast<uint32_t>(bytes.size()), hashBytes(bytes)};
}

}  // namespace gw
