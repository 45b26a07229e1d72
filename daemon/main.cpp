// gatewatch: wiring only. The command line is parsed in app/cli.cpp.
#include "app/cli.h"

int main(int argc, char** argv) { return gw::runCli(argc, argv); }
