#include <csignal>

#include "gigasync/cli.h"

int main(int argc, char** argv) {
  // A closed pipe or socket is an error value (EPIPE) where it is written, never a silent death
  // of the whole process (e.g. `gigasync changes list | head -1`, or a peer that went away).
  std::signal(SIGPIPE, SIG_IGN);
  return gigasync::run_cli(argc, argv);
}
