#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Borel and runs the whole test
# suite (unit tests, language tests, examples). Exit status 0 when all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
