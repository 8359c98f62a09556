#!/usr/bin/env bash
# Validates the simulator against real runs: runs a workload for real under every policy (or reads
# the metrics of such a run), simulates the same workload and seed with job times drawn from the
# real runs' measured jobs (--job-samples), and prints violation rate and throughput side by side
# with their differences.
#   scripts/validate-sim.sh [WORKLOAD.json] [DURATION_S] [REAL_METRICS.json]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
W="${1:-configs/workloads/default.json}"
DUR="${2:-20}"
REAL="${3:-}"
BIN="$ROOT/build/bin/sparseloom"
mkdir -p zoo-work
if [[ -z "$REAL" ]]; then
  REAL=zoo-work/validate-real.json
  "$BIN" run --workload "$W" --policy all --duration "$DUR" --json "$REAL"
fi
# Each simulated job draws one of the real runs' measured jobs (slowdown against the profile and
# overhead), so the simulator sees the real tail rather than a fitted lognormal: first at random,
# then replayed by processor and time (--by-time: the real run's slow stretches, pauses and stalls
# recur when and where they happened; runs written before session 16 have no job times and are
# drawn at random).
"$BIN" simulate --workload "$W" --policy all --duration "$DUR" --job-samples "$REAL" \
  --json zoo-work/validate-sim.json | grep '^job times' || true
# The replay draws jobs at random among its nearest samples: the mean of three seeds.
for SEED in 1 2 3; do
  "$BIN" simulate --workload "$W" --policy all --duration "$DUR" --job-samples "$REAL" --by-time \
    --seed "$SEED" --json "zoo-work/validate-sim-timed-$SEED.json" | grep '^job times' || true
done
/usr/bin/python3 - "$REAL" zoo-work/validate-sim.json zoo-work/validate-sim-timed-{1,2,3}.json <<'PY'
import json, sys
real = {r["policy"]: r for r in json.load(open(sys.argv[1]))["runs"]}


def mean_runs(paths):
    """Per policy, the runs' violation rate and throughput averaged over the files."""
    runs = [{r["policy"]: r for r in json.load(open(p))["runs"]} for p in paths]
    out = {}
    for p in runs[0]:
        out[p] = {"overall": {k: sum(r[p]["overall"][k] for r in runs) / len(runs)
                              for k in ("violation_rate", "throughput_rps")}}
    return out


for title, paths in (("jobs drawn at random", sys.argv[2:3]),
                     ("jobs replayed by time, mean of 3 seeds", sys.argv[3:])):
    sim = mean_runs(paths)
    print(f"\n{title}:")
    print(f'{"policy":<11} {"viol real":>10} {"viol sim":>9} {"diff pts":>9} {"diff rel":>9} '
          f'{"thru real":>10} {"thru sim":>9} {"diff %":>7}')
    worst_v = worst_t = 0
    within = 0
    for p, r in real.items():
        if p not in sim:
            continue
        s = sim[p]
        vr, vs = 100 * r["overall"]["violation_rate"], 100 * s["overall"]["violation_rate"]
        tr, ts = r["overall"]["throughput_rps"], s["overall"]["throughput_rps"]
        dt = 100 * (ts - tr) / tr if tr else 0
        worst_v, worst_t = max(worst_v, abs(vs - vr)), max(worst_t, abs(dt))
        within += vr > 0 and abs(vs - vr) <= 0.1 * vr and abs(dt) <= 10
        rel = f"{100 * (vs - vr) / vr:>+8.0f}%" if vr else f"{'-':>9}"
        print(f"{p:<11} {vr:>9.2f}% {vs:>8.2f}% {vs - vr:>+9.2f} {rel} {tr:>10.1f} {ts:>9.1f} "
              f"{dt:>+6.1f}%")
    print(f"largest difference: {worst_v:.2f} violation points, {worst_t:.1f}% throughput; "
          f"{within} of {len(real)} policies within 10% on both "
          "(simulated values are SIMULATED; real ones measured)")
PY
