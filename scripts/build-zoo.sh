#!/usr/bin/env bash
# Rebuilds the bundled model zoo (zoo/<task>/) from the raw data with fixed seeds.
#   scripts/build-zoo.sh                         full build into zoo/ (about 46 minutes on 2 cores)
#   scripts/build-zoo.sh --tiny --out zoo-work/tiny   smoke test (data subset, < 5 minutes)
#   scripts/build-zoo.sh --tasks kws             only some tasks
# Uses Debian's system interpreter (torch, onnx, numpy) and the ONNX Runtime reference runner
# (scripts/ort/run.mjs; run scripts/setup.sh first).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3
# Active OpenMP waits: torch's threads spin between the many small operations of a training step
# instead of sleeping (passive waits made a vit step 1.5-1.7x slower here). Set
# OMP_WAIT_POLICY=PASSIVE when several builds share the cores (--only chains in parallel).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-ACTIVE}"
start=$(date +%s)
PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m sparseloom_zoo.build "$@"
echo "build-zoo: total $(( $(date +%s) - start ))s"
