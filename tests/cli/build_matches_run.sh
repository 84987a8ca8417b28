#!/usr/bin/env bash
# build_matches_run.sh — every language test and example, compiled ahead of
# time by `borel build`, prints what `borel run` prints and exits with the
# same code (its `// args:` passed to both; lines ending in " s", run
# times, ignored). Programs `borel run` rejects at compile time must be
# rejected by `borel build` too.
# Usage: build_matches_run.sh BOREL REPO_ROOT
set -uo pipefail
borel="$1"
root="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
while IFS= read -r f; do
  grep -q "^fn main" "$f" || continue
  n=$((n + 1))
  dir="$(dirname "$f")"
  name="$(basename "$f")"
  read -r -a args <<<"$(grep -m1 "^// args:" "$f" | sed 's|^// args:||')"
  (cd "$dir" && "$borel" run "$name" "${args[@]}" >"$tmp/run.out" 2>"$tmp/run.err")
  run_rc=$?
  if ! (cd "$dir" && "$borel" build "$name" -o "$tmp/prog" >"$tmp/build.out" 2>&1); then
    if [ $run_rc -eq 1 ] && [ ! -s "$tmp/run.out" ]; then continue; fi  # a compile error both ways
    echo "FAIL: $f: borel build failed"
    head -3 "$tmp/build.out"
    fails=$((fails + 1))
    continue
  fi
  (cd "$dir" && "$tmp/prog" "${args[@]}" >"$tmp/prog.out" 2>"$tmp/prog.err")
  prog_rc=$?
  if [ $run_rc -ne $prog_rc ] || ! cmp -s <(grep -v " s$" "$tmp/run.out") <(grep -v " s$" "$tmp/prog.out"); then
    echo "FAIL: $f: exit $run_rc (run) vs $prog_rc (built)"
    diff <(grep -v " s$" "$tmp/run.out") <(grep -v " s$" "$tmp/prog.out") | head -4
    head -2 "$tmp/prog.err"
    fails=$((fails + 1))
  fi
done < <(find "$root/tests/lang" "$root/examples" -name "*.brl" | sort)
echo "build_matches_run: $n programs, $fails differ"
test $n -gt 50 && test $fails -eq 0
