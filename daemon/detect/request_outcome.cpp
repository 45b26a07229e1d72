#include "detect/request_outcome.h"

namespace gw {

RequestOutcome judgeRequest(const AccessRecord& record, const StatusSet& failures, Judge judge) {
  RequestOutcome outcome;
  outcome.status = record.status;
  if (judge == Judge::kEveryRecord) {
    outcome.counted = true;
    return outcome;
  }
  if (record.upstream_reach == UpstreamReach::kNotReached) return outcome;
  outcome.counted = true;
  if (judge == Judge::kFirstUpstream && record.upstream_reach == UpstreamReach::kReached &&
      record.upstream_status_count > 0 && record.upstream_statuses[0] != 0) {
    outcome.status = record.upstream_statuses[0];
  }
  outcome.failure = failures.contains(outcome.status);
  return outcome;
}

}  // namespace gw
