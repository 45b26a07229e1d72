// The command line: `run`, `scan`, `check`, `history`, `test-alert`. Exit codes: 0 success,
// 1 runtime failure, 2 usage or configuration error.
#pragma once

namespace gw {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int runCli(int argc, char** argv);

}  // namespace gw
