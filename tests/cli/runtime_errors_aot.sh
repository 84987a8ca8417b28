#!/usr/bin/env bash
# runtime_errors_aot.sh — a program compiled ahead of time by `borel build`
# stops with the same runtime error as under `borel run`: same exit code,
# same "LINE:COL: error: message" (the built program names its source by
# its absolute path, `borel run` as given, so only the file name is compared).
# Covers the runtime errors the compiler emits checks for (integer overflow,
# stack overflow, out of memory): they are generated code, so the AOT path
# must carry them too.
# Usage: runtime_errors_aot.sh BOREL REPO_ROOT
set -uo pipefail
borel="$1"
root="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
# The error line, path reduced to its file name. A stack overflow keeps only
# its line: which call of a recursive cycle crosses the limit first depends
# on frame sizes, which differ between the JIT and `borel build` (the tests
# put a cycle's calls on one line).
error_line() {
  grep -m1 ": error: " "$1" | sed -E 's|^.*/||; s|^([^:]*:[0-9]+):[0-9]+(: error: stack overflow)|\1\2|'
}
# Of the runaway recursions (a few seconds each) only two: in main and in a model.
for f in "$root"/tests/lang/integer_overflow/*.brl "$root"/tests/lang/resource_errors/recursion_main.brl \
         "$root"/tests/lang/resource_errors/recursion_model.brl "$root"/tests/lang/resource_errors/memory_*.brl; do
  [ -f "$f" ] || continue
  grep -q "expect runtime error:" "$f" || continue
  n=$((n + 1))
  dir="$(dirname "$f")"
  name="$(basename "$f")"
  (cd "$dir" && timeout 60 "$borel" run "$name" --seed 1 >"$tmp/run.out" 2>"$tmp/run.err")
  run_rc=$?
  if ! (cd "$dir" && "$borel" build "$name" -o "$tmp/prog" >"$tmp/build.out" 2>&1); then
    echo "FAIL: $f: borel build failed"
    head -3 "$tmp/build.out"
    fails=$((fails + 1))
    continue
  fi
  (cd "$dir" && timeout 60 "$tmp/prog" --seed 1 >"$tmp/prog.out" 2>"$tmp/prog.err")
  prog_rc=$?
  want="$(error_line "$tmp/run.err")"
  got="$(error_line "$tmp/prog.err")"
  if [ $run_rc -ne 1 ] || [ $prog_rc -ne 1 ] || [ -z "$want" ] || [ "$want" != "$got" ] ||
     ! cmp -s "$tmp/run.out" "$tmp/prog.out"; then
    echo "FAIL: $f: run exit $run_rc, built exit $prog_rc"
    echo "  run:   $want"
    echo "  built: $got"
    fails=$((fails + 1))
  fi
done
echo "runtime_errors_aot: $n programs, $fails differ"
test $n -ge 10 && test $fails -eq 0
