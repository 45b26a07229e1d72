// The subcommands behind the command line; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace gw {

inline constexpr const char* kVersion = "0.1.0";

struct ScanCommand {
  std::vector<std::string> paths;
  std::string config_path;
  std::vector<std::string> formats;
  std::vector<std::string> error_logs;
  std::string timezone;
  bool json = false;
  bool all_minutes = false;
  bool no_color = false;
};

int runScan(const ScanCommand& command);
int runCheck(const std::string& config_path);
// Every config key: type, default, where it applies, what it does (markdown).
int describeConfig();

}  // namespace gw
