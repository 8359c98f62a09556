#!/usr/bin/env bash
# The sanitizer build and the fuzzers (docs/reliability.md): one clang build with ASan + UBSan
# (SL_SANITIZE) and libFuzzer coverage (SL_FUZZ) in build-asan/, then
#   1. the unit tests (sparseloom_tests) under ASan, LeakSanitizer and UBSan;
#   2. every fuzzer for FUZZ_SECONDS (default 60) from its seed corpus (scripts/fuzz.sh).
# Any sanitizer report fails the run: UBSan does not recover, and no suppressions are used.
# Environment: SPARSELOOM_ASAN_BUILD_DIR (default build-asan/), FUZZ_SECONDS (0 skips fuzzing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${SPARSELOOM_ASAN_BUILD_DIR:-$ROOT/build-asan}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
start=$(date +%s)

echo "== sanitizer build (clang, ASan + UBSan + fuzzer coverage, -O1) in $BUILD_DIR"
# -O1 keeps the instrumented tests fast; line tables are enough for symbolized reports.
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=all" \
  -DSL_SANITIZE=ON -DSL_FUZZ=ON -DSL_BUILD_BENCH=OFF -DSL_CUDA=OFF >/dev/null
if ! ninja -C "$BUILD_DIR" -j"$(nproc)" sparseloom_tests fuzz_onnx_loader fuzz_json fuzz_profile \
  fuzz_workload >"$BUILD_DIR/ninja.log" 2>&1; then
  grep -vE '^\[[0-9]+/[0-9]+\] ' "$BUILD_DIR/ninja.log" | tail -40
  echo "sanitize.sh: build failed (log: $BUILD_DIR/ninja.log)" >&2
  exit 1
fi
built=$(date +%s)
echo "sanitize.sh: built in $((built - start)) s"

echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_string_checks=1" \
  UBSAN_OPTIONS="print_stacktrace=1" \
  "$BUILD_DIR/bin/sparseloom_tests" --gtest_brief=1
tested=$(date +%s)
echo "sanitize.sh: unit tests passed in $((tested - built)) s"

if ((FUZZ_SECONDS > 0)); then
  SPARSELOOM_ASAN_BUILD_DIR="$BUILD_DIR" bash "$ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS"
fi
echo "sanitize.sh: all passed in $(($(date +%s) - start)) s"
