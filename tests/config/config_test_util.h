// Helpers for the config tests: load a YAML text and look at its problems as
// "t.yaml:LINE:COL: message" strings, so tests assert the exact position and message.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace gw::testing {

inline ConfigLoad load(std::string_view yaml) { return loadConfigText(yaml, "t.yaml"); }

inline std::vector<std::string> problems(const ConfigLoad& l) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : l.problems) out.push_back(p.toString());
  return out;
}

inline std::vector<std::string> warnings(const ConfigLoad& l) {
  std::vector<std::string> out;
  for (const ConfigProblem& p : l.warnings) out.push_back(p.toString());
  return out;
}

// A valid source, 3 lines, for configs that test something else.
inline constexpr std::string_view kSources =
    "sources:\n"
    "  - name: web\n"
    "    access_log: /var/log/nginx/access.log\n";

// kSources followed by `rest` (whose first line is line 4).
inline std::string withSource(std::string_view rest) {
  return std::string(kSources) + std::string(rest);
}

}  // namespace gw::testing
