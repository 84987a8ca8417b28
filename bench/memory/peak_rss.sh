#!/usr/bin/env bash
# peak_rss.sh — peak memory of SMC on lgssm (T = 100, N = 10000), side by side:
# the hand-written filter (../shared/bench/peers/handwritten/pf.cpp, built
# with g++ -O2), the executable `borel build` makes from examples/lgssm.brl,
# and `borel run` of the same file (LLVM in the process). Prints max RSS of
# each (three runs, /usr/bin/time) and the ratios to the filter's median.
# Usage: bench/memory/peak_rss.sh [BUILD_DIR]   (from the repository root)
set -euo pipefail
build="${1:-build}"
shared="${BOREL_SHARED_DIR:-../shared}"
pf_src="$shared/bench/peers/handwritten/pf.cpp"
data="$shared/bench/data/lgssm_T100.json"
if [ ! -f "$pf_src" ]; then
  echo "peak_rss: $pf_src not found (set BOREL_SHARED_DIR); nothing to compare with" >&2
  exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
g++ -O2 -o "$tmp/pf" "$pf_src"
"$build/tools/borel" build examples/lgssm.brl -o "$tmp/lgssm"
rss() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
pf=() aot=() jit=()
for _ in 1 2 3; do
  pf+=("$(rss "$tmp/pf" "$data" 10000 1 1 fast)")
  aot+=("$(rss "$tmp/lgssm")")
  jit+=("$(rss "$build/tools/borel" run examples/lgssm.brl)")
done
base="$(median "${pf[@]}")"
report() {
  local name="$1"
  shift
  local m
  m="$(median "$@")"
  awk -v n="$name" -v m="$m" -v b="$base" -v all="$*" \
    'BEGIN { printf "%-36s %8.2f MB  %5.2fx   (runs: %s KB)\n", n, m / 1024, m / b, all }'
}
echo "peak RSS, lgssm T=100 N=10000 (median of 3)         ratio"
report "hand-written filter (pf.cpp)" "${pf[@]}"
report "borel build examples/lgssm.brl" "${aot[@]}"
report "borel run examples/lgssm.brl" "${jit[@]}"
