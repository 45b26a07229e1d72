#include "detect/group_key.h"

#include <algorithm>
#include <cstring>

namespace gw {

std::size_t maxKeyBytes(GroupKey key) {
  switch (key) {
    case GroupKey::kSource:
      return kMaxSourceKeyBytes;
    case GroupKey::kHost:
      return kMaxHostKeyBytes;
    case GroupKey::kUpstream:
      return kMaxUpstreamKeyBytes;
    case GroupKey::kPath:
      return kMaxPathKeyBytes;
  }
  return kMaxHostKeyBytes;
}

std::string_view groupValue(GroupKey key, std::string_view source, const AccessRecord& record) {
  switch (key) {
    case GroupKey::kSource:
      return source;
    case GroupKey::kHost:
      return record.host;
    case GroupKey::kUpstream:
      return record.first_upstream_addr;
    case GroupKey::kPath:
      return record.path;
  }
  return {};
}

void GroupKeyBuffer::append(std::string_view value, std::size_t max) {
  const std::size_t room = buf_.size() - size_;
  if (room < 2) return;
  std::size_t n = std::min({value.size(), max, room - 2, std::size_t(UINT16_MAX)});
  if (n < value.size()) {
    // Back off to a character boundary: never split a UTF-8 sequence.
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  }
  buf_[size_++] = static_cast<char>(n & 0xff);
  buf_[size_++] = static_cast<char>(n >> 8);
  if (n > 0) std::memcpy(buf_.data() + size_, value.data(), n);  // data() may be null when empty
  size_ += n;
}

std::vector<std::pair<std::string, std::string>> decodeGroupKey(std::string_view key,
                                                                const std::vector<GroupKey>& by) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  for (GroupKey k : by) {
    if (pos + 2 > key.size()) break;
    const std::size_t n = static_cast<unsigned char>(key[pos]) |
                          (std::size_t(static_cast<unsigned char>(key[pos + 1])) << 8);
    pos += 2;
    std::string value(key.substr(pos, n));
    pos += n;
    out.emplace_back(toString(k), value.empty() ? "-" : std::move(value));
  }
  return out;
}

}  // namespace gw
