#include "detect/group_table.h"

#include <algorithm>

namespace gw {

GroupTable::GroupTable(std::size_t max_groups) : max_groups_(std::max<std::size_t>(max_groups, 1)) {
  index_.reserve(std::min<std::size_t>(max_groups_, 1024));
}

GroupTable::Lookup GroupTable::findOrCreate(std::string_view key) {
  Lookup lookup;
  if (auto it = index_.find(key); it != index_.end()) {
    Group& group = *slots_[it->second];
    if (listOf(group).head != group.index) {
      unlink(group);
      pushFront(group);
    }
    lookup.group = &group;
    return lookup;
  }

  Group* group = nullptr;
  if (slots_.size() < max_groups_) {
    slots_.push_back(std::make_unique<Group>());
    group = slots_.back().get();
    group->index = static_cast<uint32_t>(slots_.size() - 1);
  } else {
    group = &evict(lookup);
  }
  group->key.assign(key);
  index_.emplace(std::string_view(group->key), group->index);
  group->listed_open = false;
  pushFront(*group);
  lookup.group = group;
  lookup.created = true;
  return lookup;
}

Group* GroupTable::find(std::string_view key) {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : slots_[it->second].get();
}

Group& GroupTable::evict(Lookup& lookup) {
  const uint32_t victim_index = quiet_.tail != kNil ? quiet_.tail : open_.tail;
  Group& victim = *slots_[victim_index];
  lookup.evicted = true;
  lookup.evicted_open = victim.listed_open;
  unlink(victim);
  index_.erase(std::string_view(victim.key));
  // Reuse the slot and what it allocated (window buckets, top-K strings) for the newcomer.
  victim.incident.reset();
  victim.peak = {};
  victim.peak_at = {};
  if (victim.tops) victim.tops->clear();
  victim.tops_since = {};
  victim.source = 0;
  victim.utc_offset_minutes = 0;
  return victim;
}

void GroupTable::setOpen(Group& group, bool open) {
  if (group.listed_open == open) return;
  unlink(group);
  group.listed_open = open;
  pushFront(group);
}

void GroupTable::collectOpen(std::vector<uint32_t>& out) const {
  out.clear();
  for (uint32_t i = open_.head; i != kNil; i = slots_[i]->next) out.push_back(i);
}

void GroupTable::unlink(Group& group) {
  List& list = listOf(group);
  if (group.prev != kNil)
    slots_[group.prev]->next = group.next;
  else
    list.head = group.next;
  if (group.next != kNil)
    slots_[group.next]->prev = group.prev;
  else
    list.tail = group.prev;
  group.prev = group.next = kNil;
}

void GroupTable::pushFront(Group& group) {
  List& list = listOf(group);
  group.prev = kNil;
  group.next = list.head;
  if (list.head != kNil) slots_[list.head]->prev = group.index;
  list.head = group.index;
  if (list.tail == kNil) list.tail = group.index;
}

}  // namespace gw
