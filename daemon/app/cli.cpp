#include "app/cli.h"

#include <CLI/CLI.hpp>

namespace gw {

int runCli(int argc, char** argv) {
  CLI::App app{"gatewatch: alerts on nginx upstream failures"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return kExitOk;
}

}  // namespace gw
