#!/usr/bin/env bash
# cli_test.sh — the `borel` command as a user runs it: exit codes, --output
# files, --seed reproducibility and --threads independence, --emit stages.
# Usage: cli_test.sh BOREL REPO_ROOT
set -uo pipefail
borel="$1"
root="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0
check() {  # check NAME CONDITION...
  local name="$1"
  shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $name"; failures=$((failures + 1)); fi
}

cd "$root"
"$borel" --help >/dev/null; check "--help exits 0" test $? -eq 0
"$borel" --version | grep -q "borel"; check "--version prints the name" test $? -eq 0
"$borel" run >/dev/null 2>&1; check "run without a file is a usage error (2)" test $? -eq 2
"$borel" run examples/coin.brl --threads 0 >/dev/null 2>&1; check "bad --threads is a usage error (2)" test $? -eq 2
"$borel" run "$tmp/missing.brl" 2>"$tmp/err" >/dev/null; code=$?
check "a missing file exits 1" test $code -eq 1
grep -q "cannot read" "$tmp/err"; check "a missing file says so" test $? -eq 0

printf 'fn main() {\n  let x: int = "s";\n}\n' >"$tmp/bad.brl"
"$borel" check "$tmp/bad.brl" 2>"$tmp/err"; code=$?
check "check reports a type error with exit 1" test $code -eq 1
grep -q "bad.brl:2:16: error: the value of \`x\`: expected int, found string" "$tmp/err"
check "type error has file:line:col" test $? -eq 0
grep -q "\^" "$tmp/err"; check "type error has a caret" test $? -eq 0
"$borel" check examples/lgssm.brl; check "check accepts a good program" test $? -eq 0

for stage in tokens ast typed ir llvm; do
  "$borel" --emit=$stage examples/coin.brl >"$tmp/$stage.txt"
  check "--emit=$stage exits 0" test $? -eq 0
  check "--emit=$stage prints something" test -s "$tmp/$stage.txt"
done
grep -q "define" "$tmp/llvm.txt"; check "--emit=llvm prints LLVM IR" test $? -eq 0
grep -q "may_suspend" "$tmp/ir.txt"; check "--emit=ir prints the core IR" test $? -eq 0

# Summaries print the run time on their first line; compare everything else.
"$borel" run examples/sprinkler.brl --seed 3 --output "$tmp/s.csv" | grep -v " s$" >"$tmp/out1.txt"
check "--output .csv exits 0" test -s "$tmp/s.csv"
head -1 "$tmp/s.csv" | grep -q "weight"; check "CSV has a header with weights" test $? -eq 0
rows=$(($(wc -l <"$tmp/s.csv") - 1))
# One row per particle of positive weight: a run has weight zero when it drew
# neither rain nor sprinkler (0.8 · 0.6 = 0.48), so about 52000 of the 100000
# (sd 158, checked to 4 sd); those of zero weight stopped at the observe.
check "CSV has one row per particle of positive weight" test "$rows" -gt 51368 -a "$rows" -lt 52632
wcol=$(head -1 "$tmp/s.csv" | tr ',' '\n' | grep -n '^weight$' | cut -d: -f1)
zero=$(tail -n +2 "$tmp/s.csv" | cut -d, -f"$wcol" | awk '$1 <= 0' | wc -l)
check "CSV has no particle of zero weight" test "$zero" -eq 0
"$borel" run examples/sprinkler.brl --seed 3 --output "$tmp/s.json" >/dev/null
grep -q '"weights"' "$tmp/s.json"; check "--output .json writes weights" test $? -eq 0
# --output is checked before the run (a long run must not be lost to a
# mistyped path): a usage error (2), and the program does not run.
"$borel" run examples/sprinkler.brl --seed 3 --output "$tmp/s.txt" >"$tmp/out" 2>"$tmp/err"
check "--output with another extension is a usage error (2)" test $? -eq 2
check "--output with another extension is refused before the run" test ! -s "$tmp/out"
"$borel" run examples/sprinkler.brl --seed 3 --output "$tmp/no/such/dir/s.csv" >"$tmp/out" 2>"$tmp/err"
check "--output to an unwritable path is a usage error (2)" test $? -eq 2
check "--output to an unwritable path is refused before the run" test ! -s "$tmp/out"
grep -q "cannot write '$tmp/no/such/dir/s.csv': No such file or directory" "$tmp/err"
check "--output to an unwritable path says why" test $? -eq 0
"$borel" run examples/coin.brl --output "$tmp" >"$tmp/out" 2>/dev/null
check "--output to a directory is refused before the run" test $? -eq 2 -a ! -s "$tmp/out"
echo keep >"$tmp/keep.csv"
printf 'fn main() { print(1 / 0); }\n' >"$tmp/fails.brl"
"$borel" run "$tmp/fails.brl" --output "$tmp/keep.csv" >/dev/null 2>&1
check "checking --output leaves an existing file as it was" grep -qx keep "$tmp/keep.csv"

# NUTS draws in Stan's CSV layout, with the sampler's columns (ArviZ and
# cmdstanpy read them by name); the same seed gives the same file whatever
# the number of threads.
cat >"$tmp/nuts.brl" <<'BRL'
fn main() {
  let d = infer(nuts(samples = 50, warmup = 50, chains = 2), fn() {
    let mu = sample(normal(0.0, 1.0));
    let sigma = sample(gamma(2.0, 2.0));
    observe(normal(mu, sigma), 0.5);
    (mu, sigma)
  });
  print(average(map(samples(d), fn(x) { x.0 })));
}
BRL
"$borel" run "$tmp/nuts.brl" --seed 5 --output "$tmp/nuts1.csv" >/dev/null
check "nuts --output .csv exits 0" test $? -eq 0
check "nuts CSV has Stan's sampler columns" test "$(head -1 "$tmp/nuts1.csv")" = \
  "chain__,draw__,lp__,accept_stat__,stepsize__,treedepth__,n_leapfrog__,divergent__,energy__,x.0,x.1,weight"
check "nuts CSV has a row per draw" test "$(wc -l <"$tmp/nuts1.csv")" -eq 101
check "nuts CSV: divergent__ is 0 or 1" test -z "$(tail -n +2 "$tmp/nuts1.csv" | cut -d, -f8 | grep -vx '[01]')"
"$borel" run "$tmp/nuts.brl" --seed 5 --threads 2 --output "$tmp/nuts2.csv" >/dev/null
cmp -s "$tmp/nuts1.csv" "$tmp/nuts2.csv"; check "nuts draws do not depend on --threads" test $? -eq 0

"$borel" run examples/sprinkler.brl --seed 3 | grep -v " s$" >"$tmp/out2.txt"
cmp -s "$tmp/out1.txt" "$tmp/out2.txt"; check "the same seed gives the same output" test $? -eq 0
"$borel" run examples/sprinkler.brl --seed 4 | grep -v " s$" >"$tmp/out3.txt"
cmp -s "$tmp/out1.txt" "$tmp/out3.txt"; check "another seed gives another output" test $? -ne 0
"$borel" run examples/lgssm.brl --seed 5 --threads 1 | grep -v " s$" >"$tmp/t1.txt"
"$borel" run examples/lgssm.brl --seed 5 --threads 2 | grep -v " s$" >"$tmp/t2.txt"
cmp -s "$tmp/t1.txt" "$tmp/t2.txt"; check "--threads 1 and 2 give the same result" test $? -eq 0

# tests/lang/inference/threads_{1,3}.brl check SMC against the exact answer
# on 1 and 3 threads; here the same program prints its errors (6 significant
# digits of a difference: any change of the particles shows) on both.
sed -e 's|print(abs(mean(post) - 1.7931034) < 0.045);|print(mean(post) - 1.7931034);|' \
  -e 's|print(abs(log_evidence(post) - (-3.0317823)) < 0.13);|print(log_evidence(post) + 3.0317823);|' \
  tests/lang/inference/threads_1.brl >"$tmp/threads.brl"
"$borel" run "$tmp/threads.brl" --seed 42 --threads 1 >"$tmp/th1.txt"
"$borel" run "$tmp/threads.brl" --seed 42 --threads 3 >"$tmp/th3.txt"
! grep -q true "$tmp/th1.txt" && test "$(wc -l <"$tmp/th1.txt")" -eq 2
check "threads_1.brl, its checks replaced, prints its two errors" test $? -eq 0
cmp -s "$tmp/th1.txt" "$tmp/th3.txt"; check "threads_1.brl prints the same on 1 and 3 threads" test $? -eq 0

"$borel" run examples/coin.brl --time >/dev/null 2>"$tmp/time.txt"
grep -q "compile:" "$tmp/time.txt"; check "--time reports compile time" test $? -eq 0

# Deep recursion runs (the program has a large stack); running out of it is an
# error with exit code 1, not a crash, and output printed before is kept.
printf 'fn f(n: int) -> real { if n == 0 { 0.0 } else { sin(f(n - 1)) + 0.5 } }\nfn main() { print(f(100000)); print(f(1000000000)); }\n' >"$tmp/deep.brl"
"$borel" run "$tmp/deep.brl" >"$tmp/out" 2>"$tmp/err"; code=$?
check "stack overflow exits 1" test $code -eq 1
grep -q "deep.brl:1:.*: error: stack overflow: recursion too deep" "$tmp/err"; check "stack overflow is reported at the call" test $? -eq 0
grep -q "1.4973" "$tmp/out"; check "output before the overflow is kept" test $? -eq 0
# Inference threads have stacks as large as the program's: a model's deep
# recursion runs on --threads 2 as on one thread; too deep is the same error.
printf 'fn down(n: int) -> real { if n == 0 { sample(normal(0.0, 1.0)) } else { down(n - 1) + 0.0 } }\nfn main() {\n  let d = infer(smc(particles = 4), fn() { let x = down(DEPTH); observe(normal(x, 1.0), 0.5); x });\n  print(len(samples(d)));\n}\n' >"$tmp/deepm.brl"
sed 's/DEPTH/300000/' "$tmp/deepm.brl" >"$tmp/deep1.brl"
"$borel" run "$tmp/deep1.brl" --threads 2 >"$tmp/out" 2>"$tmp/err"
check "deep recursion in a model runs on 2 threads" test $? -eq 0
sed 's/DEPTH/1000000000/' "$tmp/deepm.brl" >"$tmp/deep2.brl"
"$borel" run "$tmp/deep2.brl" --threads 2 >"$tmp/out" 2>"$tmp/err"; code=$?
check "too deep a recursion on an inference thread exits 1" test $code -eq 1
grep -q "deep2.brl:1:.*: error: stack overflow: recursion too deep" "$tmp/err"; check "too deep a recursion on an inference thread is reported at the call" test $? -eq 0

# `borel build`: a native executable without LLVM that runs like `borel run`:
# the same output for the same seed, the same options, errors and exit codes.
"$borel" build examples/sprinkler.brl -o "$tmp/sprinkler"; check "build exits 0" test $? -eq 0
check "build makes an executable" test -x "$tmp/sprinkler"
"$tmp/sprinkler" --seed 3 --output "$tmp/b.csv" | grep -v " s$" >"$tmp/built.txt"
cmp -s "$tmp/out1.txt" "$tmp/built.txt"; check "the built program prints what borel run prints" test $? -eq 0
cmp -s "$tmp/s.csv" "$tmp/b.csv"; check "the built program writes the same --output" test $? -eq 0
! ldd "$tmp/sprinkler" | grep -qi llvm; check "the built program does not load LLVM" test $? -eq 0
"$borel" build examples/lgssm.brl -o "$tmp/lgssm" && "$tmp/lgssm" --seed 5 --threads 2 | grep -v " s$" >"$tmp/bt2.txt"
cmp -s "$tmp/t1.txt" "$tmp/bt2.txt"; check "a built program with --threads 2 gives borel run's result" test $? -eq 0
"$borel" build "$tmp/deep.brl" -o "$tmp/deep" && "$tmp/deep" >"$tmp/out" 2>"$tmp/err"; code=$?
check "a built program's stack overflow exits 1" test $code -eq 1
grep -q "deep.brl:1:.*: error: stack overflow: recursion too deep" "$tmp/err"; check "a built program reports a stack overflow at the call" test $? -eq 0
printf 'fn main() {\n  let xs = [1.0, 2.0];\n  print(fold(xs[3..], 0.0, fn(a, x) { a + x }));\n}\n' >"$tmp/slice.brl"
"$borel" build "$tmp/slice.brl" -o "$tmp/slice" && "$tmp/slice" 2>"$tmp/err"; code=$?
check "a built program's runtime error exits 1" test $code -eq 1
grep -q "slice.brl:3:14: error: slice 3..2 is out of range for an array of length 2" "$tmp/err"
check "a built program's runtime error names the source location" test $? -eq 0
"$borel" build "$tmp/bad.brl" -o "$tmp/bad" 2>"$tmp/err"; code=$?
check "build of an ill-typed program exits 1" test $code -eq 1
grep -q "bad.brl:2:16: error" "$tmp/err"; check "build reports the type error" test $? -eq 0
"$tmp/sprinkler" --threads 0 >/dev/null 2>&1; check "a built program's bad --threads is a usage error (2)" test $? -eq 2
"$borel" build examples/coin.brl -o "$tmp" 2>"$tmp/err"; code=$?
check "build into a directory is a usage error (2)" test $code -eq 2
grep -q "is a directory" "$tmp/err"; check "build into a directory says so" test $? -eq 0

# The REPL: definitions accumulate, expressions print, errors do not end it.
printf 'fn sq(x: real) -> real { x * x }\nsq(3.0)\n:type sq\nlet xs = [1.0,\n 2.0]\nmap(xs, sq)\n1 + true\n[1][3]\nlen(xs)\n' |
  "$borel" repl >"$tmp/repl.out" 2>"$tmp/repl.err"
check "repl exits 0" test $? -eq 0
printf '9.0\nfn(real) -> real\n[1.0, 4.0]\n2\n' | cmp -s - "$tmp/repl.out"; check "repl prints values and types" test $? -eq 0
grep -q "needs numbers" "$tmp/repl.err"; check "repl reports a type error and goes on" test $? -eq 0
grep -q "out of range" "$tmp/repl.err"; check "repl reports a runtime error and goes on" test $? -eq 0
grep -q "<input 6>:1:3: error: operator + needs numbers" "$tmp/repl.err"; check "repl locates a type error in the input" test $? -eq 0
grep -q "<input 7>:1:1: error: index 3 is out of range" "$tmp/repl.err"; check "repl locates a runtime error in the input" test $? -eq 0

# Seeds are integers from 0 to 2^64 - 1: "-1", 2^64 and "" were read as
# 2^64 - 1, 2^64 - 1 and 0 (three spellings of one run). Usage errors (2).
for bad in -1 18446744073709551616 99999999999999999999999 "" 1.5 0x10 " 7"; do
  "$borel" run examples/coin.brl --seed "$bad" >"$tmp/out" 2>"$tmp/err"; code=$?
  check "--seed '$bad' is a usage error (2)" test $code -eq 2 -a ! -s "$tmp/out"
  grep -q "seed" "$tmp/err"; check "--seed '$bad' is reported" test $? -eq 0
done
"$borel" run examples/coin.brl --seed=-1 >/dev/null 2>&1; check "--seed=-1 is a usage error (2)" test $? -eq 2
"$borel" run examples/coin.brl --seed 18446744073709551615 >/dev/null; check "--seed 2^64 - 1 is a seed" test $? -eq 0
"$borel" run examples/coin.brl --seed 0 >/dev/null; check "--seed 0 is a seed" test $? -eq 0
"$tmp/sprinkler" --seed -1 >/dev/null 2>&1; check "a built program's --seed -1 is a usage error (2)" test $? -eq 2
echo "1" | "$borel" repl --seed "" >/dev/null 2>&1; check "repl --seed '' is a usage error (2)" test $? -eq 2
"$borel" lm generate -m examples/coin.brl -p hi --seed -1 >/dev/null 2>&1
check "lm generate --seed -1 is a usage error (2)" test $? -eq 2

# `borel lm` checks its options before loading or generating: the "model"
# below is not a GGUF file, so an option reported means it was checked first.
"$borel" lm generate -m examples/coin.brl -p hi --top-p 2 2>"$tmp/err" >/dev/null
grep -q "top_p is 2" "$tmp/err"; check "lm generate checks --top-p before loading the model" test $? -eq 0
"$borel" lm generate -m examples/coin.brl -p hi --temperature inf 2>"$tmp/err" >/dev/null
grep -q "temperature is inf" "$tmp/err"; check "lm generate checks --temperature before loading the model" test $? -eq 0
for opt in "-n -1" "--top-k -1"; do
  "$borel" lm generate -m examples/coin.brl -p hi $opt >/dev/null 2>&1
  check "lm generate $opt is a usage error (2), not 2^64 - 1" test $? -eq 2
done
"$borel" lm quantize -m examples/coin.brl -o "$tmp/no/such/dir/q.gguf" 2>"$tmp/err" >/dev/null
grep -q "cannot write" "$tmp/err"; check "lm quantize checks --out before quantizing" test $? -eq 0

# Sources are bounded: /dev/zero is refused, not read forever; so is a
# regular file over 64 MiB (measured, not read) and a directory.
timeout 60 "$borel" check /dev/zero 2>"$tmp/err"; code=$?
check "check /dev/zero ends with exit 1" test $code -eq 1
grep -q "64 MiB" "$tmp/err"; check "check /dev/zero says the source is too long" test $? -eq 0
truncate -s 65M "$tmp/huge.brl"
timeout 60 "$borel" run "$tmp/huge.brl" 2>"$tmp/err"; code=$?
check "a source over 64 MiB is refused (exit 1)" test $code -eq 1
grep -q "is 68157440 bytes; sources over 64 MiB are refused" "$tmp/err"; check "a source over 64 MiB says its size" test $? -eq 0
"$borel" check "$tmp" 2>"$tmp/err"; code=$?
check "check of a directory exits 1" test $code -eq 1
grep -q "is a directory" "$tmp/err"; check "check of a directory says so" test $? -eq 0
printf 'fn main() { print(1 + 2); }\n' | "$borel" run /dev/stdin >"$tmp/out" 2>&1
grep -qx 3 "$tmp/out"; check "a program read from a pipe still runs" test $? -eq 0

# Threads the system refuses: under a 4 GB address-space limit not every
# worker gets its 1 GiB stack. This hung at 0% CPU; now the run goes on with
# the threads it got, says so, and prints what one thread prints (a run is a
# pure function of its seed).
printf 'fn main() {\n  let d = infer(smc(particles = 2000), fn() { let x = sample(normal(0.0, 1.0)); observe(normal(x, 0.5), 1.0); x });\n  print(mean(d));\n}\n' >"$tmp/small_smc.brl"
printf 'fn main() {\n  let d = infer(rmsmc(particles = 500), fn() { let x = sample(normal(0.0, 1.0)); observe(normal(x, 0.5), 1.0); observe(normal(x, 0.5), 0.5); x });\n  print(mean(d));\n}\n' >"$tmp/small_rmsmc.brl"
# Left out where borel cannot start under the cap at all (sanitizer builds
# reserve terabytes of address space for their shadow memory).
cases=("small_smc 256" "small_rmsmc 6")
if ! (ulimit -v 4000000 && "$borel" --version >/dev/null 2>&1); then
  echo "skip: borel does not start under ulimit -v 4000000 (a sanitizer build); thread-refusal checks left out"
  cases=()
fi
for case in "${cases[@]}"; do
  read -r prog threads <<<"$case"
  "$borel" run "$tmp/$prog.brl" --seed 8 --threads 1 >"$tmp/one.txt"
  (ulimit -v 4000000 && timeout 120 "$borel" run "$tmp/$prog.brl" --seed 8 --threads "$threads" >"$tmp/many.txt" 2>"$tmp/err"); code=$?
  check "$prog with --threads $threads under ulimit -v 4000000 ends (exit 0)" test $code -eq 0
  cmp -s "$tmp/one.txt" "$tmp/many.txt"; check "$prog with fewer threads than asked prints what 1 thread prints" test $? -eq 0
  grep -q "warning: cannot .* inference thread" "$tmp/err"; check "$prog warns that it runs on fewer threads" test $? -eq 0
done

echo "cli: $passes passed, $failures failed"
test $failures -eq 0
