// Every config key as documentation, from the same rows the loader validates against: for a
// `--describe` dump, generated docs, and the test that keeps config/gatewatch.yaml complete.
#pragma once

#include <string>
#include <vector>

namespace gw {

struct ConfigKeyInfo {
  std::string path;           // "state_dir", "rules[].objective", "rules[].windows[].long"
  std::string type;           // "a duration (500ms, 30s, 5m, 2h)", "one of end, beginning"
  std::string range;          // "in (0, 1]", "at least 1"; "" when unbounded
  std::string default_value;  // "" when there is none
  std::string applies_to;     // "burn_rate rules", "webhook sinks"; "" = wherever its section is
  bool required = false;
  std::string doc;
};

// Sections in file order (top, http, sources, rules, rules[].windows, sinks, context, tail),
// keys in table order.
std::vector<ConfigKeyInfo> configKeys();

// A markdown table of configKeys(): | key | type | default | applies to | description |.
std::string describeConfigKeys();

}  // namespace gw
