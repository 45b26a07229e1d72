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

// The config used when a command is given none.
inline constexpr const char* kDefaultConfigPath = "/etc/gatewatch/gatewatch.yaml";

struct RunCommand {
  std::string config_path = kDefaultConfigPath;
  // --config was given: a missing file is an error. Without it, a missing kDefaultConfigPath
  // means the embedded default (config/default_config.h).
  bool config_given = false;
};
// The daemon: follows every source, detects, alerts, serves /healthz /metrics /api/alerts; runs
// until SIGTERM/SIGINT, reloads on SIGHUP. With no sinks configured, every alert is also printed
// to stdout (consoleAlertText). Exit 0 after a clean stop, 2 on a bad config, 1 when it cannot
// run at all.
int runDaemon(const RunCommand& command);

struct HistoryCommand {
  std::string config_path = kDefaultConfigPath;  // for state_dir
  std::string state_dir;                         // overrides the config's
  std::string since = "24h";                     // a duration back from now
  std::string rule;
  std::string source;
  bool open_only = false;
  bool json = false;
  std::size_t limit = 100;
};
int runHistory(const HistoryCommand& command);

struct TestAlertCommand {
  std::string config_path = kDefaultConfigPath;
  std::vector<std::string> sinks;  // empty: every sink
};
// Sends a clearly marked test alert straight to each sink (not through the outbox) and prints
// each sink's answer; exit 1 when any sink did not accept it.
int runTestAlert(const TestAlertCommand& command);
int runCheck(const std::string& config_path);
// Every config key: type, default, where it applies, what it does (markdown).
int describeConfig();

}  // namespace gw
