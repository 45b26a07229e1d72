// Temporary: `gatewatch test-alert` until the alert and delivery stages it uses are built; the
// real command replaces this file.
#include <cstdio>

#include "app/cli.h"
#include "app/commands.h"

namespace gw {

int runTestAlert(const TestAlertCommand& /*command*/) {
  std::fprintf(stderr, "test-alert: not yet: this build cannot send alerts yet\n");
  return kExitFailure;
}

}  // namespace gw
