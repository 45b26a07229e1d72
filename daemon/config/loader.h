// Loads and validates a YAML config into Config. Every problem is collected, not just the first,
// each as "FILE:LINE:COL: message" — unknown keys with a did-you-mean, wrong types, bad durations,
// missing fields, dangling references, out-of-range thresholds, log_formats that don't compile.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace gw {

struct ConfigProblem {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (e.g. the file is unreadable)
  int column = 0;  // 1-based
  std::string message;
  std::string toString() const;  // "FILE:LINE:COL: message"
};

struct ConfigLoad {
  Config config;
  std::vector<ConfigProblem> problems;  // empty: config is valid
  // Accepted but worth a look (a URL written in the file, an empty rules: list, no sinks ...).
  // Warnings never make a config invalid; `gatewatch check` prints them after the problems.
  std::vector<ConfigProblem> warnings;
  bool ok() const { return problems.empty(); }
};

// A config file is a few KiB; anything larger is the wrong file (a log?) and is refused before
// parsing, which also bounds what a hostile file can make the YAML parser do.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
// Problems beyond this are counted in one last message: the first ones are the useful ones.
inline constexpr std::size_t kMaxConfigProblems = 100;

// Problems and warnings come sorted by position. Environment variables in values are not
// expanded: secrets are named by url_env / secret_env and read when the daemon starts.
ConfigLoad loadConfigFile(const std::string& path);
// `file_name` is only used in messages. Never throws: every YAML error becomes a problem.
ConfigLoad loadConfigText(std::string_view yaml_text, const std::string& file_name);

}  // namespace gw
