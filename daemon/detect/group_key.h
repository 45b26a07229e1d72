// GroupKeyBuffer: the values a rule groups one record by (source, host, upstream, path), encoded
// into a stack buffer — each value as a 2-byte length and its bytes, cut to a bound — so that
// finding a record's group allocates nothing. Log content is attacker-controlled: the bounds
// keep one key small whatever a client sends.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "parse/access_record.h"

namespace gw {

constexpr std::size_t kMaxSourceKeyBytes = 255;    // a configured name
constexpr std::size_t kMaxHostKeyBytes = 255;      // a DNS name is at most 253
constexpr std::size_t kMaxUpstreamKeyBytes = 255;  // host:port or unix:/path
constexpr std::size_t kMaxPathKeyBytes = 512;      // past this, paths are rarely distinct endpoints
constexpr std::size_t kMaxGroupKeyBytes = 4 * (2 + kMaxPathKeyBytes);  // four values at most

std::size_t maxKeyBytes(GroupKey key);

// The value of `key` for a record of `source`: the upstream is the first one tried.
std::string_view groupValue(GroupKey key, std::string_view source, const AccessRecord& record);

class GroupKeyBuffer {
 public:
  // Appends a value, cut to `max` bytes (at a UTF-8 character boundary) and to the room left.
  void append(std::string_view value, std::size_t max);
  std::string_view view() const { return {buf_.data(), size_}; }

 private:
  std::array<char, kMaxGroupKeyBytes> buf_;
  std::size_t size_ = 0;
};

// The (name, value) pairs of an encoded key, for events; an empty value shows as "-".
std::vector<std::pair<std::string, std::string>> decodeGroupKey(std::string_view key,
                                                                const std::vector<GroupKey>& by);

}  // namespace gw
