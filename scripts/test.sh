#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Borel and runs the whole test
# suite (unit tests, language tests, examples); then builds it again with
# AddressSanitizer + UndefinedBehaviorSanitizer (./build-asan, clang 19) and
# runs the tests there, and runs each libFuzzer target for a bounded time on
# its seed corpus (docs/reliability.md). Exit status 0 when all pass.
#   BOREL_SKIP_SANITIZED=1 scripts/test.sh   only the first part
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
stamp() { echo "test.sh: $1 after $(($(date +%s) - t0)) s"; }

scripts/setup.sh
scripts/build.sh
stamp "build"
(cd build && ctest --output-on-failure -j "$(nproc)")
stamp "tests"
[ "${BOREL_SKIP_SANITIZED:-0}" = 1 ] && exit 0

scripts/build.sh --asan
stamp "sanitized build"
source scripts/sanitizer-env.sh
# Left out of the sanitized run, each with its reason:
#   build_matches_run  runs `borel build` (a C++ link per program, minutes)
#                      on every program the sanitized `lang/` tests already run.
#   label sbc          the calibration runs: statistics over thousands of
#                      inference runs of programs the sanitized `lang/` tests
#                      already cover; minutes in a Release build, far more here.
#   posteriordb_diamonds  NUTS on 26 dimensions and 5000 observations: 14
#                      CPU-seconds in Release, past the harness's 300 s per model
#                      here; normal_glm and the dense metric it runs are in the
#                      sanitized unit and `lang/` tests.
# detect_leaks=0 here: C++ containers inside objects on the collector's heap
# (rt_method's option map, say) are referenced only from that heap, which
# LeakSanitizer does not scan, so it would report them all. (The fuzzers keep
# leak detection: what they exercise does not store into the collected heap.)
(cd build-asan && ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" ctest --output-on-failure -j "$(nproc)" -E '^(build_matches_run|posteriordb_diamonds)$' -LE sbc)
stamp "sanitized tests"
scripts/fuzz.sh --no-build --time "${BOREL_FUZZ_SECONDS:-60}"
stamp "fuzzing"
