// Scanner: replays access and error logs (plain, rotated, gzipped) in time order through the
// same parse + detect core the daemon runs, and gathers what `gatewatch scan` reports.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "scan/scan_result.h"

namespace gw {

struct ScanInput {
  std::vector<std::string> access_paths;  // files or globs
  std::vector<std::string> error_paths;   // files or globs
  std::vector<std::string> formats;       // overrides the source's formats when not empty
  std::string timezone;                   // for error.log times; empty: source's or local
  Config config;  // sources (to name files and pick formats), rules, context
};

struct ScanProgress {
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  uint64_t lines = 0;
};

// Expands globs (sorted), keeps plain paths as they are. A pattern that matches nothing is an
// error.
Result<std::vector<std::string>> expandPaths(const std::vector<std::string>& patterns);

class Scanner {
 public:
  using ProgressFn = std::function<void(const ScanProgress&)>;
  explicit Scanner(ScanInput input);
  // Calls `progress` now and then (at most every 64k lines).
  Result<ScanResult> run(const ProgressFn& progress = {});

 private:
  ScanInput input_;
};

}  // namespace gw
