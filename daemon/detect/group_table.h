// GroupTable: one rule's groups (a group per distinct key: source, host, upstream, path ...),
// bounded by max_groups. Beyond it the least recently seen group is evicted — a quiet one first;
// a pending or firing group only when every group is open. Log content (Host headers, paths)
// is attacker-controlled, so the bound is what keeps a flood from exhausting memory. Lookups
// take a string_view: steady state allocates nothing per record, only a new group does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "detect/incident_state.h"
#include "detect/rule_window.h"
#include "detect/top_k.h"
#include "detect/traffic_window.h"

namespace gw {

// The failures of an incident by path and by first upstream. Allocated at a group's first
// failure: most groups of a healthy site never need one.
struct FailureTops {
  TopK paths;
  TopK upstreams;
  void clear() {
    paths.clear();
    upstreams.clear();
  }
};

struct Group {
  std::string key;  // the encoded values (group_key.h); the table's index views it
  std::unique_ptr<RuleWindow> window;
  IncidentState incident;
  WindowSnapshot peak;  // the stats window with the most failures while open
  Timestamp peak_at{};
  std::unique_ptr<FailureTops> tops;
  Timestamp tops_since{};  // the oldest failure in tops
  uint32_t source = 0;     // of the newest record
  int16_t utc_offset_minutes = 0;

  // GroupTable's bookkeeping: the group's slot and its place in a recency list.
  uint32_t index = 0;
  uint32_t prev = 0;
  uint32_t next = 0;
  bool listed_open = false;
};

class GroupTable {
 public:
  explicit GroupTable(std::size_t max_groups);

  struct Lookup {
    Group* group = nullptr;
    bool created = false;       // a new group (its window, if any, must be cleared or made)
    bool evicted = false;       // another group was evicted to make room
    bool evicted_open = false;  // ... and it was pending or firing (the last resort)
  };
  // The group of `key`, created when new, marked as the most recently seen.
  Lookup findOrCreate(std::string_view key);
  // The group of `key` if it is held, without touching its recency.
  Group* find(std::string_view key);
  // Moves a group between the quiet and the open (pending or firing) recency lists.
  void setOpen(Group& group, bool open);

  std::size_t size() const { return slots_.size(); }
  std::size_t maxGroups() const { return max_groups_; }
  Group& at(std::size_t index) { return *slots_[index]; }
  const Group& at(std::size_t index) const { return *slots_[index]; }
  // The slots of the open groups (copied: a caller stepping them may move them between lists).
  void collectOpen(std::vector<uint32_t>& out) const;

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct List {
    uint32_t head = kNil;  // most recently seen
    uint32_t tail = kNil;  // least recently seen: evicted first
  };
  List& listOf(const Group& group) { return group.listed_open ? open_ : quiet_; }
  void unlink(Group& group);
  void pushFront(Group& group);
  Group& evict(Lookup& lookup);

  std::vector<std::unique_ptr<Group>> slots_;             // every slot holds a live group
  std::unordered_map<std::string_view, uint32_t> index_;  // views Group::key
  List quiet_;
  List open_;
  std::size_t max_groups_;
};

}  // namespace gw
