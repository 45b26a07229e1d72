#include <cstdio>

#include "app/cli.h"
#include "app/commands.h"
#include "config/config_keys.h"
#include "config/loader.h"

namespace gw {

int describeConfig() {
  std::fputs(describeConfigKeys().c_str(), stdout);
  return kExitOk;
}

int runCheck(const std::string& config_path) {
  const ConfigLoad load = loadConfigFile(config_path);
  for (const ConfigProblem& problem : load.problems)
    std::fprintf(stderr, "%s\n", problem.toString().c_str());
  for (const ConfigProblem& warning : load.warnings) {
    std::fprintf(stderr, "%s (warning)\n", warning.toString().c_str());
  }
  if (!load.ok()) {
    std::fprintf(stderr, "%s: %zu problem%s; nothing was changed\n", config_path.c_str(),
                 load.problems.size(), load.problems.size() == 1 ? "" : "s");
    return kExitUsage;
  }
  const Config& c = load.config;
  std::printf("%s: OK — %zu source%s, %zu rule%s%s, %zu sink%s\n", config_path.c_str(),
              c.sources.size(), c.sources.size() == 1 ? "" : "s", c.rules.size(),
              c.rules.size() == 1 ? "" : "s", c.rules.empty() ? " (the default rules apply)" : "",
              c.sinks.size(), c.sinks.size() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace gw
