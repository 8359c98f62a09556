#!/usr/bin/env bash
# The main job: builds SparseLoom, then serves the default workload (three tasks of the bundled
# zoo, a task joining mid-run, an SLO change) under every policy in turn, in real time, and prints
# one comparison table. The first run profiles the zoo on this machine (about two minutes; cached
# in zoo-work/). Extra arguments go to `sparseloom demo` (try --help).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/build.sh
if ! compgen -G "zoo/*/manifest.json" >/dev/null; then
  echo "demo: no pools under zoo/ (build them with scripts/build-zoo.sh)" >&2
  exit 1
fi
exec "$ROOT/build/bin/sparseloom" demo "$@"
