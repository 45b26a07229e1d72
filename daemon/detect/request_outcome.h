// RequestOutcome: what one access record counts as for one rule — left out, a success or a
// failure, and which status was judged. The one place that decides "what counts as a failure".
#pragma once

#include <bitset>
#include <cstdint>
#include <initializer_list>

#include "parse/access_record.h"

namespace gw {

// The statuses a rule counts as failures, one bit per status code.
class StatusSet {
 public:
  static constexpr uint16_t kLimit = 1000;  // HTTP statuses are three digits
  StatusSet() = default;
  StatusSet(std::initializer_list<uint16_t> statuses) {
    for (uint16_t s : statuses) add(s);
  }
  void add(uint16_t status) {
    if (status < kLimit) bits_.set(status);
  }
  void addRange(uint16_t first, uint16_t last) {
    for (uint16_t s = first; s <= last; ++s) add(s);
  }
  bool contains(uint16_t status) const { return status < kLimit && bits_.test(status); }
  bool empty() const { return bits_.none(); }

 private:
  std::bitset<kLimit> bits_;
};

// Which status a rule judges.
enum class Judge : uint8_t {
  kFinalStatus,    // $status: what the client got (the site's view)
  kFirstUpstream,  // the first upstream attempt's status (rules grouped by upstream)
  kEveryRecord,    // silence: every record is traffic, nothing is a failure
};

struct RequestOutcome {
  bool counted = false;  // false: left out of the rule's requests and failures
  bool failure = false;
  uint16_t status = 0;  // the status judged (kept in the window's breakdown)
};

// What counts, exactly:
//  1. upstream_reach == kNotReached — the format logs upstream fields and they say "-": nginx
//     answered by itself (a limit_req/limit_conn 503, a 499, a 400). The record is left out of
//     the rule's requests and failures, whatever its status (kEveryRecord rules still count it).
//  2. kUnknown — the format logs no upstream fields: the final status alone decides.
//  3. kReached: the final status decides, except for rules grouped by upstream (Judge::
//     kFirstUpstream), which judge the FIRST attempt's status when $upstream_status has one. So
//     "502, 200" (nginx retried the next upstream) is a failure for the first upstream's group
//     and, judged by the final 200, a success for the source, host and path groups.
//  4. failure = the judged status is in the rule's statuses.
RequestOutcome judgeRequest(const AccessRecord& record, const StatusSet& failures, Judge judge);

}  // namespace gw
