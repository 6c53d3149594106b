#pragma once
// The command line. main() only calls run_cli; each subcommand lives in src/cli/command_*.cpp.
#include "gigasync/layer.h"
GIGASYNC_LAYER(cli);

namespace gigasync {

// Parses argv, runs the subcommand, prints errors as "gigasync: error: ...", returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace gigasync
