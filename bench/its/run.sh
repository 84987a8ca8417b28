#!/bin/sh
# run.sh — ITS-synth in Borel: runs the grid (grid.brl) and writes every
# report of report.brl next to it, in bench/its/results/.
#
#   bench/its/run.sh [quick|full] [SEED] [RUNS...]
#
# quick: the problems i ≡ 0 (mod 5) of the 8000-problem grid (SPEC §6), about
# 30 s on one core; full: all 8000, a few minutes. RUNS as for grid.brl
# (default: "reference extra", every method). The reference's results.json
# is read from $ITS_REFERENCE, else ../shared/bench/its/results.json next to
# the checkout; without it the reports leave out the comparison. The SVG
# plot goes to docs/its.svg for the full grid.
set -e
mode=${1:-quick}
seed=${2:-1}
[ $# -ge 2 ] && shift 2 || shift $#
runs=${*:-reference extra}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
borel=${BOREL:-$root/build/tools/borel}
ref=${ITS_REFERENCE:-$root/../shared/bench/its/results.json}
[ -f "$ref" ] || ref=""
case $mode in
  quick) stride=5 ;;
  full) stride=1 ;;
  *) echo "usage: run.sh [quick|full] [SEED] [RUNS...]" >&2; exit 2 ;;
esac
out=$here/results
mkdir -p "$out"
start=$(date +%s)
# shellcheck disable=SC2086
"$borel" run "$here/grid.brl" --seed "$seed" -- "$stride" 0 $runs > "$out/$mode.json"
end=$(date +%s)
echo "grid: $((end - start)) s wall ($mode, seed $seed)"
"$borel" run "$here/report.brl" -- check "$out/$mode.json" $ref > "$out/$mode.txt"
"$borel" run "$here/report.brl" -- csv "$out/$mode.json" $ref > "$out/$mode.csv"
"$borel" run "$here/report.brl" -- markdown "$out/$mode.json" $ref > "$out/$mode.md"
"$borel" run "$here/report.brl" -- budgets "$out/$mode.json" $ref > "$out/$mode-budgets.txt"
svg=$out/$mode.svg
[ "$mode" = full ] && svg=$root/docs/its.svg
if [ -n "$ref" ]; then
  "$borel" run "$here/report.brl" -- svg "$out/$mode.json" "$ref" PF-cal-tree > "$svg"
else
  "$borel" run "$here/report.brl" -- svg "$out/$mode.json" > "$svg"
fi
tail -6 "$out/$mode.txt"
