#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ for a bounded time each (docs/reliability.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default: 60 s, every target
# Needs the clang sanitizer build (scripts/sanitize.sh makes it; SPARSELOOM_ASAN_BUILD_DIR, default
# build-asan/). Each target starts from its seed corpus fuzz/corpus/<target>/ (read only); new
# inputs go to <build>/fuzz-work/<target>/, crashes to <build>/fuzz-artifacts/<target>/. Targets run
# two at a time (one per core, up to nproc). Exits non-zero if any target crashed, naming the input
# to fix and then keep as a regression under fuzz/regressions/<target>/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${SPARSELOOM_ASAN_BUILD_DIR:-$ROOT/build-asan}"
SECONDS_EACH="${1:-60}"
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(onnx_loader json profile workload)
JOBS=$(nproc)
((JOBS > 2)) && JOBS=2

run_one() {
  local t=$1 work="$BUILD_DIR/fuzz-work/$1" art="$BUILD_DIR/fuzz-artifacts/$1"
  local bin="$BUILD_DIR/bin/fuzz_$t" dict=()
  [[ -x $bin ]] || { echo "fuzz.sh: $bin missing: run scripts/sanitize.sh first" >&2; return 2; }
  [[ $t == onnx_loader ]] || dict=(-dict="$ROOT/fuzz/json.dict")
  mkdir -p "$work" "$art"
  # -timeout: an input slower than 10 s is a hang; -rss_limit_mb: above 2 GB is a finding too.
  "$bin" "${dict[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" "$ROOT/fuzz/corpus/$t" \
    >"$BUILD_DIR/fuzz-$t.log" 2>&1
}

report() {  # target, exit code
  local t=$1 rc=$2 log="$BUILD_DIR/fuzz-$1.log"
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  if ((rc == 0)); then
    echo "fuzz.sh: $t: ok, $runs inputs, $cov coverage points"
  else
    echo "fuzz.sh: $t: FAILED (exit $rc), log $log"
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written|check failed|fuzz:' "$log" | head -20
    echo "fuzz.sh: fix the bug, then keep the input above as fuzz/regressions/$t/<what-it-was>"
  fi
}

echo "== fuzzers: ${TARGETS[*]}, ${SECONDS_EACH} s each, $JOBS at a time ($BUILD_DIR)"
start=$(date +%s)
failed=0
for ((i = 0; i < ${#TARGETS[@]}; i += JOBS)); do
  batch=("${TARGETS[@]:i:JOBS}")
  pids=()
  for t in "${batch[@]}"; do run_one "$t" & pids+=($!); done
  for k in "${!batch[@]}"; do
    rc=0
    wait "${pids[$k]}" || rc=$?
    report "${batch[$k]}" "$rc"
    ((rc == 0)) || failed=1
  done
done
echo "fuzz.sh: done in $(($(date +%s) - start)) s"
exit $failed
