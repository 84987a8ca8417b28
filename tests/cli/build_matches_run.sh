#!/usr/bin/env bash
# build_matches_run.sh — every language test and example, compiled ahead of
# time by `borel build`, prints what `borel run` prints, on stdout and on
# stderr, and exits with the same code (its `// args:` passed to both).
# Programs `borel run` rejects at compile time must be rejected by `borel
# build` with the same diagnostics. What legitimately differs is normalised
# before comparing: lines ending in " s" (run times) are dropped; `borel
# build` compiles the file by its absolute path, so that directory prefix is
# removed from its messages; a built program names itself by its path where
# `borel run` names the source file.
# Usage: build_matches_run.sh BOREL REPO_ROOT
set -uo pipefail
borel="$1"
root="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
# normalise FILE DIR NAME: FILE's text with DIR/ removed, $tmp/prog named
# NAME, and run times dropped.
normalise() {
  grep -v " s$" "$1" | sed -e "s|$2/||g" -e "s|$tmp/prog|$3|g"
}
while IFS= read -r f; do
  grep -q "^fn main" "$f" || continue
  n=$((n + 1))
  dir="$(dirname "$f")"
  absdir="$(cd "$dir" && pwd -P)"
  name="$(basename "$f")"
  read -r -a args <<<"$(grep -m1 "^// args:" "$f" | sed 's|^// args:||')"
  (cd "$dir" && "$borel" run "$name" "${args[@]}" >"$tmp/run.out" 2>"$tmp/run.err")
  run_rc=$?
  if ! (cd "$dir" && "$borel" build "$name" -o "$tmp/prog" >"$tmp/build.out" 2>"$tmp/build.err"); then
    # A compile error both ways, with the same diagnostics; any other failure
    # of `borel build` is one.
    if [ $run_rc -eq 1 ] && [ ! -s "$tmp/run.out" ] &&
      cmp -s <(normalise "$tmp/run.err" "$absdir" "$name") <(normalise "$tmp/build.err" "$absdir" "$name"); then
      continue
    fi
    echo "FAIL: $f: borel build failed (borel run: exit $run_rc)"
    diff <(normalise "$tmp/run.err" "$absdir" "$name") <(normalise "$tmp/build.err" "$absdir" "$name") | head -6
    fails=$((fails + 1))
    continue
  fi
  (cd "$dir" && "$tmp/prog" "${args[@]}" >"$tmp/prog.out" 2>"$tmp/prog.err")
  prog_rc=$?
  if [ $run_rc -ne $prog_rc ] ||
    ! cmp -s <(normalise "$tmp/run.out" "$absdir" "$name") <(normalise "$tmp/prog.out" "$absdir" "$name") ||
    ! cmp -s <(normalise "$tmp/run.err" "$absdir" "$name") <(normalise "$tmp/prog.err" "$absdir" "$name"); then
    echo "FAIL: $f: exit $run_rc (run) vs $prog_rc (built)"
    diff <(normalise "$tmp/run.out" "$absdir" "$name") <(normalise "$tmp/prog.out" "$absdir" "$name") | head -4
    diff <(normalise "$tmp/run.err" "$absdir" "$name") <(normalise "$tmp/prog.err" "$absdir" "$name") | head -4
    fails=$((fails + 1))
  fi
done < <(find "$root/tests/lang" "$root/examples" -name "*.brl" | sort)
echo "build_matches_run: $n programs, $fails differ"
test $n -gt 50 && test $fails -eq 0
