// The server's name as alerts show it (the `host` field, Alertmanager's `instance` label).
#pragma once

#include <string>

namespace gw {

// gethostname(), or "localhost" when the system has none.
std::string hostName();

}  // namespace gw
