#!/usr/bin/env bash
# Configures and builds Borel. Idempotent.
#   scripts/build.sh                  ./build: Release, Ninja, the default compiler
#   scripts/build.sh --asan [TARGET…] ./build-asan: clang 19, AddressSanitizer +
#       UndefinedBehaviorSanitizer + libFuzzer instrumentation (BOREL_FUZZ), no
#       benchmarks; all of it, or only the targets named. Used by
#       scripts/test.sh (the sanitized test run and the short fuzz runs) and
#       scripts/fuzz.sh (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--asan" ]; then
  shift
  # -O1: sanitizer builds compile and run fastest around -O1; line tables give
  # located reports; NDEBUG is left undefined so assertions are checked too.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DBOREL_FUZZ=ON -DBOREL_BUILD_BENCH=OFF >/dev/null
  if (($#)); then
    cmake --build build-asan -j "$(nproc)" --target "$@"
  else
    cmake --build build-asan -j "$(nproc)"
  fi
  exit 0
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
