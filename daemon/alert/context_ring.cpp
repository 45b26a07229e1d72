// Context rings: fixed slots of kContextSlotBytes in one buffer, overwritten oldest first. A
// line's group values are kept as hashes of exactly the bytes the detector's GroupKeyBuffer keys
// on (the value cut to maxKeyBytes at a character boundary), so an event's group, decoded from
// that key, finds the lines that made it.
#include "alert/context_ring.h"

#include <algorithm>
#include <cstring>

#include "common/utf8.h"
#include "detect/group_key.h"

namespace gw {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t fnv1a(std::string_view bytes) {
  uint64_t h = kFnvOffset;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// The value as GroupKeyBuffer::append keeps it: at most maxKeyBytes(key), backed off to a
// character boundary (the per-key bounds fit the key buffer together, so its room never cuts).
uint64_t keyHash(GroupKey key, const AccessRecord& record) {
  const std::string_view value = groupValue(key, {}, record);
  return fnv1a(value.substr(0, utf8Boundary(value, maxKeyBytes(key))));
}

// decodeGroupKey shows an empty value as "-": an event's "-" stands for an empty value or a
// literal "-".
bool valueMatches(uint64_t slot_hash, const std::string& event_value) {
  if (slot_hash == fnv1a(event_value)) return true;
  return event_value == "-" && slot_hash == fnv1a({});
}

constexpr std::size_t atLeastOne(std::size_t n) { return n == 0 ? 1 : n; }

}  // namespace

AccessContextRing::AccessContextRing(std::size_t capacity)
    : slots_(atLeastOne(capacity)), bytes_(atLeastOne(capacity) * kContextSlotBytes) {}

void AccessContextRing::remember(std::string_view raw_line, const AccessRecord& record) {
  Slot& slot = slots_[next_];
  const std::size_t n = utf8Boundary(raw_line, kContextSlotBytes);
  if (n > 0) std::memcpy(bytes_.data() + next_ * kContextSlotBytes, raw_line.data(), n);
  slot.length = static_cast<uint32_t>(n);
  slot.time = record.time;
  slot.host_hash = keyHash(GroupKey::kHost, record);
  slot.upstream_hash = keyHash(GroupKey::kUpstream, record);
  slot.path_hash = keyHash(GroupKey::kPath, record);
  next_ = (next_ + 1) % slots_.size();
  count_ = std::min(count_ + 1, slots_.size());
}

std::vector<std::string> AccessContextRing::linesFor(
    const std::vector<std::pair<std::string, std::string>>& group, Timestamp until,
    std::size_t max) const {
  std::vector<std::string> out;
  if (max == 0) return out;
  // Newest first, then turned around: the last `max` matching lines.
  for (std::size_t k = 0; k < count_ && out.size() < max; ++k) {
    const std::size_t index = (next_ + slots_.size() - 1 - k) % slots_.size();
    const Slot& slot = slots_[index];
    if (slot.time > until) continue;
    bool matches = true;
    for (const auto& [key, value] : group) {
      if (key == toString(GroupKey::kHost)) {
        matches = valueMatches(slot.host_hash, value);
      } else if (key == toString(GroupKey::kUpstream)) {
        matches = valueMatches(slot.upstream_hash, value);
      } else if (key == toString(GroupKey::kPath)) {
        matches = valueMatches(slot.path_hash, value);
      }  // "source": the ring is the source's own
      if (!matches) break;
    }
    if (matches) out.emplace_back(bytes_.data() + index * kContextSlotBytes, slot.length);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::size_t AccessContextRing::size() const { return count_; }

ErrorContextRing::ErrorContextRing(std::size_t capacity)
    : slots_(atLeastOne(capacity)), bytes_(atLeastOne(capacity) * kContextSlotBytes) {}

void ErrorContextRing::remember(std::string_view raw_line, Timestamp time) {
  Slot& slot = slots_[next_];
  const std::size_t n = utf8Boundary(raw_line, kContextSlotBytes);
  if (n > 0) std::memcpy(bytes_.data() + next_ * kContextSlotBytes, raw_line.data(), n);
  slot.length = static_cast<uint32_t>(n);
  slot.time = time;
  next_ = (next_ + 1) % slots_.size();
  count_ = std::min(count_ + 1, slots_.size());
}

std::vector<std::string> ErrorContextRing::linesBetween(Timestamp from, Timestamp to,
                                                        std::size_t max) const {
  std::vector<std::string> out;
  if (max == 0) return out;
  const std::size_t oldest = (next_ + slots_.size() - count_) % slots_.size();
  auto slotAt = [&](std::size_t k) -> std::size_t { return (oldest + k) % slots_.size(); };
  auto inSpan = [&](std::size_t index) {
    return slots_[index].time >= from && slots_[index].time <= to;
  };
  auto take = [&](std::size_t index) {
    out.emplace_back(bytes_.data() + index * kContextSlotBytes, slots_[index].length);
  };
  std::size_t matching = 0;
  for (std::size_t k = 0; k < count_; ++k) matching += inSpan(slotAt(k)) ? 1 : 0;
  // More than fit: the onset (how it began) and the latest state (is it still so), nothing of
  // the middle, which repeats one or the other.
  const std::size_t head = matching > max ? max / 2 : matching;
  const std::size_t tail_from = matching > max ? matching - (max - head) : matching;
  std::size_t seen = 0;
  for (std::size_t k = 0; k < count_; ++k) {
    const std::size_t index = slotAt(k);
    if (!inSpan(index)) continue;
    if (seen < head || seen >= tail_from) take(index);
    ++seen;
  }
  return out;
}

std::size_t ErrorContextRing::size() const { return count_; }

}  // namespace gw
