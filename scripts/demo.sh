#!/usr/bin/env bash
# The main job: builds SparseLoom, then runs every variant of every bundled pool end to end on the
# pool's real validation inputs, printing top-1 accuracy and latency per variant.
# (The multi-task runtime demo replaces this once `sparseloom run` exists.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/build.sh
BIN="$ROOT/build/bin/sparseloom"
shopt -s nullglob
pools=(zoo/*/manifest.json)
if ((${#pools[@]} == 0)); then
  echo "demo: no pools under zoo/ (build them with scripts/build-zoo.sh)" >&2
  exit 1
fi
for manifest in "${pools[@]}"; do
  dir="$(dirname "$manifest")"
  echo "== pool $(basename "$dir"): batch = whole validation set, 1 thread"
  printf '%-18s %10s %12s %14s\n' variant accuracy "median ms" "ms per input"
  n=$(/usr/bin/python3 -c "import numpy as np; print(np.load('$dir/val_y.npy').shape[0])")
  for onnx in $(/usr/bin/python3 -c "import json; m=json.load(open('$manifest')); print(' '.join(v['file'] for v in m['variants']))"); do
    out=$("$BIN" run-model "$dir/$onnx" --input "$dir/val_x.npy" --labels "$dir/val_y.npy" --repeat 3)
    acc=$(sed -n 's/^top-1 accuracy: \([0-9.]*%\).*/\1/p' <<<"$out")
    ms=$(sed -n 's/^latency: median \([0-9.]*\) ms.*/\1/p' <<<"$out")
    printf '%-18s %10s %12s %14.4f\n' "${onnx%.onnx}" "$acc" "$ms" "$(awk -v a="$ms" -v b="$n" 'BEGIN{print a/b}')"
  done
done
