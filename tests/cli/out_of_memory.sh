#!/usr/bin/env bash
# out_of_memory.sh — a program whose heap cannot grow any more stops with a
# located runtime error (exit 1), not "internal error: std::bad_alloc"
# (exit 70). The address space is capped with `ulimit -v` and the program
# grows an array the early size check cannot foresee (a comprehension with
# a filter), so the collector's allocation itself fails.
# Usage: out_of_memory.sh BOREL
# Skips (77) where borel cannot start under the cap (sanitizer builds reserve
# terabytes of address space).
set -uo pipefail
borel="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cap=1700000  # KiB: borel's own mappings (a 1 GB program stack, reserved) and some heap
cat >"$tmp/grow.brl" <<'BRL'
fn main() {
  let xs = [i for i in 0..1000000000 if i >= 0];
  print(len(xs));
}
BRL
if ! (ulimit -v $cap && "$borel" --version >/dev/null 2>&1); then
  echo "SKIP: borel does not start under ulimit -v $cap"
  exit 77
fi
(cd "$tmp" && ulimit -v $cap && timeout 120 "$borel" run grow.brl >"$tmp/out" 2>"$tmp/err")
rc=$?
if [ $rc -ne 1 ] || ! grep -q "^grow.brl:2:12: error: out of memory" "$tmp/err"; then
  echo "FAIL: exit $rc (want 1), stderr:"
  head -5 "$tmp/err"
  exit 1
fi
echo "out_of_memory: ok"
