// ProgramRunner.h — running a compiled program's main, for `borel run` and
// for executables made by `borel build` (tools/aot/AotMain.cpp).
//
// The program runs on a thread with a 1 GiB stack (reserved, not committed)
// whose lowest pages are a guard: deep recursion is ordinary in a functional
// language, and running off the end is reported as an error (exit 1), not a
// crash; any other fault is a bug in Borel (exit 70). Runtime errors are
// printed with their location.
#pragma once

#include <string>

#include "runtime/abi/RuntimeAbi.h"

namespace borel::tools {

constexpr int kExitProgramError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 70;

// Reports faults as above; call once at the start of main.
void install_fault_handler();

// Runs the entry closure (`__main.closure`) with `options`; then writes the
// last top-level infer result to `output` (.csv or .json) when it is not
// empty. `file` names the program in messages without a location. Returns
// the exit code.
int run_program(rt::Word entry, const abi::RunOptions& options, const std::string& file, const std::string& output);

}  // namespace borel::tools
