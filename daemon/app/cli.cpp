#include "app/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/commands.h"
#include "store/history_store.h"

namespace gw {

int runCli(int argc, char** argv) {
  CLI::App app{
      "gatewatch: tells on-call people within seconds when the application behind nginx starts\n"
      "failing (502/503/504), and answers after the fact when exactly it started."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("gatewatch ") + kVersion);

  RunCommand run;
  auto* run_cmd = app.add_subcommand(
      "run",
      "The daemon: follow every source, detect, alert, serve /healthz /metrics /api/alerts "
      "(SIGHUP reloads, SIGTERM stops)");
  auto* run_config = run_cmd
                         ->add_option("-c,--config", run.config_path,
                                      "the config file (without it, and without the default "
                                      "file, gatewatch runs on its embedded default: the local "
                                      "nginx's logs, alerts printed here)")
                         ->capture_default_str();

  ScanCommand scan;
  auto* scan_cmd = app.add_subcommand(
      "scan",
      "Replay access logs (plain, rotated .1, gzipped .gz, globs) in time order: files, incidents, "
      "and a per-minute picture of errors");
  scan_cmd->add_option("paths", scan.paths,
                       "access log files or globs (default: every source of --config, with "
                       "its rotated files)");
  scan_cmd->add_option("-c,--config", scan.config_path, "config file: sources, formats, rules");
  scan_cmd
      ->add_option("-f,--format", scan.formats,
                   "log_format: 'combined', 'main', or the format text as in nginx.conf (repeat to "
                   "try several)")
      ->allow_extra_args(false);
  scan_cmd
      ->add_option("-e,--error-log", scan.error_logs,
                   "nginx error.log files or globs, shown with incidents")
      ->allow_extra_args(false);
  scan_cmd->add_option("--timezone", scan.timezone,
                       "IANA zone of error.log times (default: the server's)");
  scan_cmd->add_flag("--json", scan.json, "print JSON instead of the report");
  scan_cmd->add_flag("--all-minutes", scan.all_minutes,
                     "print every minute, not only those around incidents");
  scan_cmd->add_flag("--no-color", scan.no_color, "no ANSI colours even on a terminal");

  std::string check_config;
  bool describe = false;
  auto* check_cmd = app.add_subcommand(
      "check", "Validate a config file; every problem as FILE:LINE:COL: message");
  auto* config_opt = check_cmd->add_option("-c,--config,config", check_config, "the config file");
  check_cmd
      ->add_flag("--describe", describe,
                 "print every config key with its type, default and meaning")
      ->excludes(config_opt);

  HistoryCommand history;
  auto* history_cmd = app.add_subcommand(
      "history",
      "Alert history from the state database: when each incident started, how long it lasted, "
      "its peak, and whether each sink got the alert (or why not)");
  history_cmd->add_option("-c,--config", history.config_path, "config file (for its state_dir)")
      ->capture_default_str();
  history_cmd->add_option("--state-dir", history.state_dir,
                          "read this state directory instead of the config's state_dir");
  history_cmd
      ->add_option("--since", history.since,
                   "incidents active within this long before now: 30m, 24h, 7d, ... or 'all'")
      ->capture_default_str();
  history_cmd->add_option("--rule", history.rule, "only incidents of this rule");
  history_cmd->add_option("--source", history.source, "only incidents of this source");
  history_cmd->add_flag("--open", history.open_only, "only incidents not resolved yet");
  history_cmd->add_flag("--json", history.json,
                        "print a JSON array (incidents with their delivery attempts)");
  history_cmd->add_option("--limit", history.limit, "at most this many incidents, newest first")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, kMaxHistoryLimit));

  TestAlertCommand test_alert;
  auto* test_alert_cmd = app.add_subcommand(
      "test-alert",
      "Send a clearly marked test alert straight to the sinks and print what each one answered");
  test_alert_cmd->add_option("-c,--config", test_alert.config_path, "config file (its sinks)")
      ->capture_default_str();
  test_alert_cmd
      ->add_option("--sink", test_alert.sinks,
                   "only this sink (repeat for several; default: every sink)")
      ->allow_extra_args(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (run_cmd->parsed()) {
    run.config_given = run_config->count() > 0;
    return runDaemon(run);
  }
  if (scan_cmd->parsed()) return runScan(scan);
  if (history_cmd->parsed()) return runHistory(history);
  if (test_alert_cmd->parsed()) return runTestAlert(test_alert);
  if (check_cmd->parsed()) {
    if (describe) return describeConfig();
    if (check_config.empty()) {
      std::fprintf(stderr, "check: give --config FILE (or --describe for the list of keys)\n");
      return kExitUsage;
    }
    return runCheck(check_config);
  }
  return kExitUsage;
}

}  // namespace gw
