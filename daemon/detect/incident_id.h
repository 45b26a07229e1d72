// incidentId: a stable name for one incident, from what defines it — the rule, the group's
// values and started_at — so firing, reminders and resolved share it, and a replay (`scan`) or a
// daemon that refilled its windows after a restart finds the same id as the live daemon did.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"

namespace gw {

// 16 lowercase hex digits of a 64-bit FNV-1a hash, finished with a strong mix.
std::string incidentId(std::string_view rule,
                       const std::vector<std::pair<std::string, std::string>>& group,
                       Timestamp started_at);

}  // namespace gw
