#include "detect/top_k.h"

#include <algorithm>

namespace gw {

void TopK::add(std::string_view name, uint64_t count) {
  name = name.substr(0, kMaxNameBytes);
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].name == name) {
      slots_[i].count += count;
      return;
    }
  }
  if (used_ < kSlots) {
    slots_[used_].name.assign(name);
    slots_[used_].count = count;
    ++used_;
    return;
  }
  Slot& smallest = *std::min_element(
      slots_.begin(), slots_.end(), [](const Slot& a, const Slot& b) { return a.count < b.count; });
  smallest.name.assign(name);
  smallest.count += count;  // space-saving: the newcomer inherits the evicted count
}

std::vector<NamedCount> TopK::top(std::size_t n) const {
  std::vector<NamedCount> out;
  out.reserve(used_);
  for (std::size_t i = 0; i < used_; ++i) out.push_back({slots_[i].name, slots_[i].count});
  std::stable_sort(out.begin(), out.end(), [](const NamedCount& a, const NamedCount& b) {
    if (a.count != b.count) return a.count > b.count;
    return a.name < b.name;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace gw
