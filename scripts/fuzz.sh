#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang 19, ASan + UBSan, in
# ./build-asan) and runs each on its seed corpus; prints, per target, the
# inputs run, the speed, the corpus size and what it found.
#   scripts/fuzz.sh [--runs N | --time SECONDS] [--no-build] [TARGET…]
#     --runs N       stop each target after N inputs (default 1000000: the
#                    long run recorded in docs/reliability.md)
#     --time S       stop each target after S seconds (scripts/test.sh: 60)
#     TARGET         frontend, read_json, gguf (default: all three)
# Seeds: every .brl file of tests/, examples/ and stdlib/ (frontend); the
# hand-written seeds in fuzz/seeds/read_json and the repository's JSON data
# under every target type (read_json); the files fuzz/MakeGgufSeeds.cpp
# writes, and stories260K.gguf when ../shared/models has it (gguf); for each,
# the inputs in fuzz/regressions/TARGET that once failed.
# A crash, a hang (an input running past -timeout), a leak or a memory blow-up
# stops that target; its input is left in build-asan/fuzz/artifacts/TARGET and
# the script exits 1. Runs under nice (BOREL_FUZZ_NICE, default 10): the
# machine may be shared; but a starved fuzzer reports its inputs as hangs
# (30 s each), so a long run on a busy machine wants BOREL_FUZZ_NICE=0.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=(-runs=1000000)
build=1
targets=()
while (($#)); do
  case "$1" in
    --runs) mode=(-runs="$2"); shift 2 ;;
    --time) mode=(-max_total_time="$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(frontend read_json gguf)

if ((build)); then
  scripts/build.sh --asan "${targets[@]/%/_fuzzer}" make_gguf_seeds
fi
source scripts/sanitizer-env.sh

work="$root/build-asan/fuzz"
shared="${BOREL_SHARED_DIR:-$root/../shared}"

# The seed corpus of one target, rebuilt from the sources at every run.
make_seeds() {
  local t=$1 dir="$work/seeds/$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  case "$t" in
    frontend)
      while IFS= read -r f; do
        cp "$f" "$dir/$(echo "${f#./}" | tr '/' '_')"
      done < <(find ./tests ./examples ./stdlib -name '*.brl' | sort) ;;
    read_json)
      cp fuzz/seeds/read_json/* "$dir/"
      # Every JSON data file under every target type ('a' + type index,
      # fuzz/ReadJsonFuzzer.cpp's kTypes).
      while IFS= read -r f; do
        for sel in a f g l m n s t; do
          { printf '%s' "$sel"; cat "$f"; } > "$dir/${sel}_$(echo "${f#./}" | tr '/' '_')"
        done
      done < <(find ./tests ./examples -name '*.json' | sort) ;;
    gguf)
      build-asan/fuzz/make_gguf_seeds "$dir"
      [ -f "$shared/models/stories260K.gguf" ] && cp "$shared/models/stories260K.gguf" "$dir/" || true ;;
  esac
  [ -d "fuzz/regressions/$t" ] && cp fuzz/regressions/"$t"/* "$dir/" 2>/dev/null || true
}

# Longest input each target is given: room for the largest real program,
# JSON file and model header, small enough to keep every run fast.
max_len() {
  case "$1" in
    frontend) echo 16384 ;;
    read_json) echo 16384 ;;
    gguf) echo 65536 ;;
  esac
}

# Per-target libFuzzer options. frontend: no leak checks between inputs. The
# compiler keeps process-wide tables by design (runtime/Sites.h: every
# compiled site's location, valid as long as any compiled code may run), so
# each input leaves malloc'd memory behind, reachable; libFuzzer then runs a
# full LeakSanitizer scan after every input, 25 times slower.
extra_flags() {
  case "$1" in
    frontend) echo "-detect_leaks=0" ;;
  esac
}

status=0
summary=()
for t in "${targets[@]}"; do
  make_seeds "$t"
  corpus="$work/corpus/$t"
  artifacts="$work/artifacts/$t"
  log="$work/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cmd=(build-asan/fuzz/"$t"_fuzzer "${mode[@]}" -timeout=30 -rss_limit_mb=2048 -max_len="$(max_len "$t")"
       $(extra_flags "$t") -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$work/seeds/$t")
  echo "fuzz: ${cmd[*]}"
  start=$(date +%s)
  touch "$log.start"
  rc=0
  nice -n "${BOREL_FUZZ_NICE:-10}" "${cmd[@]}" >"$log" 2>&1 || rc=$?
  secs=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f -newer "$log.start" | wc -l)
  line="$t: ${runs:-?} inputs in ${secs} s (${speed:-?} exec/s), corpus ${units} files, peak RSS ${rss:-?} MB, exit ${rc}, failing inputs ${found}"
  summary+=("$line")
  echo "fuzz: $line"
  if ((rc != 0)); then
    status=1
    echo "fuzz: $t failed; the end of $log:" >&2
    tail -40 "$log" >&2
  fi
done
echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
exit $status
