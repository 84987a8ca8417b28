// borel-lm: the `borel lm` subcommand as a standalone program.
#include "LmCommand.h"

int main(int argc, char** argv) { return borel::tools::run_lm_command(argc, argv); }
