#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Borel and runs an example model.
#   scripts/example.sh [examples/NAME.brl]     (default: examples/coin.brl)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/tools/borel run "${1:-examples/coin.brl}" --seed 1
