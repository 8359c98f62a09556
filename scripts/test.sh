#!/usr/bin/env bash
# The whole test suite: set-up, build, C++ unit tests and ONNX conformance (ctest), the zoo
# checks and end-to-end comparisons with ONNX Runtime (pytest), and the tiny zoo build smoke test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
start=$(date +%s)
bash scripts/build.sh
echo "== ctest (unit tests + conformance)"
ctest --test-dir build --output-on-failure -j2 --timeout 600
if [[ -d tests/python || -d tests/e2e ]]; then
  echo "== pytest (zoo checks, end-to-end comparisons)"
  dirs=()
  for d in tests/python tests/e2e; do [[ -d $d ]] && dirs+=("$d"); done
  SPARSELOOM_BIN="$ROOT/build/bin/sparseloom" /usr/bin/python3 -m pytest -q "${dirs[@]}"
fi
if [[ -x scripts/build-zoo.sh ]]; then
  echo "== tiny zoo build (smoke test)"
  bash scripts/build-zoo.sh --tiny --out "$ROOT/zoo-work/tiny"
  SPARSELOOM_ZOO_DIR="$ROOT/zoo-work/tiny" /usr/bin/python3 -m pytest -q tests/python
fi
echo "== runtime and simulator smoke tests (the demo for 2 s per policy, a load sweep, eval --quick)"
# A profile measured on a 2-core machine (configs/profiles/README.md) keeps these quick; the real
# demo measures its own.
PROFILE=configs/profiles/zoo-cpu0_cpu1.json
"$ROOT/build/bin/sparseloom" demo --duration 2 --profile "$PROFILE" --json "$ROOT/zoo-work/demo-smoke.json" \
  2>/dev/null | tail -12
"$ROOT/build/bin/sparseloom" run --workload configs/workloads/default.json --profile "$PROFILE" \
  --policy sparseloom --load-sweep --duration 0.5 2>/dev/null | grep -A2 "sustains load"
"$ROOT/build/bin/sparseloom" eval --suite paper --quick --profile "$PROFILE" \
  --out "$ROOT/zoo-work/eval-quick" 2>/dev/null | tail -3
bash scripts/sanitize.sh  # ASan + UBSan unit tests, then the fuzzers (docs/reliability.md)
echo "test.sh: all passed in $(( $(date +%s) - start )) s"
