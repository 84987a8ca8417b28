#!/usr/bin/env bash
# The full tier of simulation-based calibration (docs/reliability.md, "SBC"):
# every model of tests/sbc/models with R replications per cell (default
# 500), L = 99 draws, 10 rank bins, family-wise alpha = 0.001, and writes
# the table into docs/reliability.md between the SBC markers.
#
#   scripts/sbc.sh [R] [JOBS]     (R default 500: about 20 CPU-minutes, JOBS default nproc)
#
# Exit status 0 when every cell passes. The quick tier is the ctest test
# `sbc_quick` (ctest -L sbc).
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-500}"
jobs="${2:-$(nproc)}"
cmake --build build --target borel borel_sbc >/dev/null
table="$(mktemp)"
status=0
# transdim first: the slowest model, while the other jobs run the rest.
build/tests/sbc/borel_sbc --borel build/tools/borel --reps "$reps" --draws 99 --bins 10 --alpha 0.001 \
  --jobs "$jobs" --seed 2 --timeout 3600 --table "$table" tests/sbc/models/transdim.brl \
  tests/sbc/models/[!st]*.brl tests/sbc/models/s[!b]*.brl tests/sbc/models/transdim_*.brl || status=$?
# Replace what lies between the markers with the new table.
python3 - "$table" docs/reliability.md "$reps" <<'PY'
import sys, datetime
table, doc, reps = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
text = open(doc).read()
begin, end = "<!-- sbc-table-begin -->", "<!-- sbc-table-end -->"
i, j = text.index(begin) + len(begin), text.index(end)
stamp = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
text = text[:i] + "\n`scripts/sbc.sh " + reps + "`, " + stamp + ":\n\n" + table + "\n" + text[j:]
open(doc, "w").write(text)
PY
rm -f "$table"
exit "$status"
