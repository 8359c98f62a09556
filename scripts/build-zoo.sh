#!/usr/bin/env bash
# Rebuilds the bundled model zoo (zoo/<task>/) from the raw data with fixed seeds.
#   scripts/build-zoo.sh                         full build into zoo/ (about an hour on 2 cores)
#   scripts/build-zoo.sh --tiny --out zoo-work/tiny   smoke test (data subset, < 5 minutes)
#   scripts/build-zoo.sh --tasks kws             only some tasks
# Uses Debian's system interpreter (torch, onnx, numpy) and the ONNX Runtime reference runner
# (scripts/ort/run.mjs; run scripts/setup.sh first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
# Passive OpenMP waits: spinning threads waste the CPU when the cores are shared.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
start=$(date +%s)
PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m sparseloom_zoo.build "$@"
echo "build-zoo: total $(( $(date +%s) - start ))s"
