#!/usr/bin/env bash
# The SBC harness can fail: on tests/sbc/selftest/miscalibrated.brl,
# borel_sbc must exit 1, fail the rank test of the miscalibrated cell and
# the evidence test of the one with the wrong evidence, fail the cell that
# stops the program (and still run the cells after it), and pass the rest.
#   selftest.sh BOREL_SBC BOREL SOURCE_DIR
set -uo pipefail
out="$("$1" --borel "$2" --reps 100 --bins 5 --jobs 1 --seed 3 "$3/tests/sbc/selftest/miscalibrated.brl")"
status=$?
echo "$out"
fail() { echo "selftest: $1" >&2; exit 1; }
[ "$status" -eq 1 ] || fail "borel_sbc exited $status, expected 1"
[ "$(grep -c '| too_narrow | mu | .*\*\*FAIL\*\*' <<<"$out")" -eq 1 ] || fail "the rank test of too_narrow did not fail"
[ "$(grep -c '| evidence_off | Ẑ/Z.*\*\*FAIL\*\*' <<<"$out")" -eq 1 ] || fail "the evidence test of evidence_off did not fail"
[ "$(grep -c '| evidence_off | mu | .*| pass |' <<<"$out")" -eq 1 ] || fail "the rank test of evidence_off did not pass"
[ "$(grep -c '| exact | .*| pass |' <<<"$out")" -eq 2 ] || fail "the exact cell did not pass both tests"
[ "$(grep -c '| broken | all | 0 | .*\*\*FAIL\*\* (exit 1' <<<"$out")" -eq 1 ] || fail "the broken cell did not fail"
echo "selftest: ok"
