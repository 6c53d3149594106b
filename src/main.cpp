#include "gigasync/cli.h"

int main(int argc, char** argv) { return gigasync::run_cli(argc, argv); }
