// Loads and validates a YAML config into Config. Every problem is collected, not just the first,
// each as "FILE:LINE:COL: message" — unknown keys with a did-you-mean, wrong types, bad durations,
// missing fields, dangling references, out-of-range thresholds, log_formats that don't compile.
#pragma once

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
  bool ok() const { return problems.empty(); }
};

ConfigLoad loadConfigFile(const std::string& path);
// `file_name` is only used in messages.
ConfigLoad loadConfigText(std::string_view yaml_text, const std::string& file_name);

}  // namespace gw
