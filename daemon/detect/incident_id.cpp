#include "detect/incident_id.h"

#include <cstdint>
#include <cstdio>

namespace gw {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

void mixIn(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  // A separator, so ("ab","c") and ("a","bc") differ.
  h ^= 0xff;
  h *= kFnvPrime;
}

// splitmix64's finaliser: FNV-1a alone spreads its last bytes poorly.
uint64_t finish(uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

std::string incidentId(std::string_view rule,
                       const std::vector<std::pair<std::string, std::string>>& group,
                       Timestamp started_at) {
  uint64_t h = kFnvOffset;
  mixIn(h, rule);
  for (const auto& [key, value] : group) {
    mixIn(h, key);
    mixIn(h, value);
  }
  mixIn(h, std::to_string(started_at.time_since_epoch().count()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(finish(h)));
  return buf;
}

}  // namespace gw
