#!/usr/bin/env bash
# Checks the CUDA backend on a machine with an NVIDIA GPU (docs/backend-cuda.md):
#   1. builds SparseLoom (scripts/build.sh), compiling the CUDA kernels in;
#   2. runs the ONNX node conformance tests on the GPU (sparseloom conformance --backend cuda);
#   3. runs the CUDA unit tests (op cases against the reference kernels, zoo models against the
#      CPU backend, buffers and hand-offs);
#   4. profiles the bundled zoo on cpu0 and cuda0 (segment latency on each, the GPU's including
#      its host transfers) and prints the median segment latency per task on each;
#   5. serves the default workload for 10 s on cpu0, cpu1 and cuda0 under every policy;
# then prints one summary table. Exits 2 with one clear line when no GPU is present, 1 when a
# step failed, 0 when all passed.
#
# Environment: SPARSELOOM_BUILD_DIR (default build/), GPU_CHECK_SKIP_BUILD=1 to reuse an existing
# build.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${SPARSELOOM_BUILD_DIR:-$ROOT/build}"
LOG_DIR="$BUILD_DIR/gpu-check"

# --- 0. is there a GPU? -------------------------------------------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: no NVIDIA GPU on this machine (nvidia-smi missing or failing); nothing checked" >&2
  exit 2
fi
GPUS="$(nvidia-smi --query-gpu=index,name,compute_cap,driver_version,memory.total \
        --format=csv,noheader 2>/dev/null)"
if [[ -z "$GPUS" ]]; then
  echo "gpu-check: nvidia-smi lists no GPU; nothing checked" >&2
  exit 2
fi
echo "gpu-check: GPUs:"
while IFS= read -r line; do echo "  $line"; done <<<"$GPUS"

declare -a NAMES RESULTS DETAILS
record() {  # name, PASS|FAIL, detail
  NAMES+=("$1")
  RESULTS+=("$2")
  DETAILS+=("$3")
}

# --- 1. build -----------------------------------------------------------------------------------
mkdir -p "$LOG_DIR"
if [[ "${GPU_CHECK_SKIP_BUILD:-0}" != 1 ]]; then
  if SPARSELOOM_BUILD_DIR="$BUILD_DIR" bash "$ROOT/scripts/build.sh" -DSL_CUDA=ON \
       >>"$LOG_DIR/build.log" 2>&1; then
    record build PASS "$BUILD_DIR"
  else
    record build FAIL "see $LOG_DIR/build.log"
  fi
fi
CLI="$BUILD_DIR/bin/sparseloom"
TESTS="$BUILD_DIR/bin/sparseloom_tests"
if [[ ! -x "$CLI" || ! -x "$TESTS" ]]; then
  echo "gpu-check: $CLI or $TESTS missing after the build (see $LOG_DIR/build.log)" >&2
  exit 1
fi

# --- 2. conformance on the GPU -------------------------------------------------------------------
"$CLI" conformance --backend cuda >"$LOG_DIR/conformance.log" 2>&1
rc=$?
summary="$(grep -E '^conformance: [0-9]+ passed' "$LOG_DIR/conformance.log" | tail -1)"
if [[ $rc == 0 && -n "$summary" ]] && ! grep -q '^FAIL ' "$LOG_DIR/conformance.log"; then
  record conformance PASS "${summary#conformance: } (skipped = not supported on cuda)"
else
  record conformance FAIL "${summary:-$(tail -1 "$LOG_DIR/conformance.log")}; see $LOG_DIR/conformance.log"
fi

# --- 3. CUDA unit tests --------------------------------------------------------------------------
"$TESTS" --gtest_filter='Cuda*' --gtest_brief=1 >"$LOG_DIR/unit-tests.log" 2>&1
rc=$?
passed="$(grep -oE '\[  PASSED  \] [0-9]+' "$LOG_DIR/unit-tests.log" | grep -oE '[0-9]+' | tail -1)"
skipped="$(grep -oE '\[  SKIPPED \] [0-9]+' "$LOG_DIR/unit-tests.log" | grep -oE '[0-9]+' | tail -1)"
failed="$(grep -oE '[0-9]+ FAILED TEST' "$LOG_DIR/unit-tests.log" | grep -oE '[0-9]+' | tail -1)"
detail="${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [[ $rc == 0 && "${skipped:-0}" == 0 ]]; then
  record unit-tests PASS "$detail"
elif [[ $rc == 0 ]]; then
  # With a GPU nothing should skip: a skip means the device was not usable.
  record unit-tests FAIL "$detail (skips with a GPU present); see $LOG_DIR/unit-tests.log"
else
  record unit-tests FAIL "$detail; see $LOG_DIR/unit-tests.log"
fi

# --- 4. segment latency, CPU vs GPU -------------------------------------------------------------
PROFILE="$LOG_DIR/profile-cpu0_cuda0.json"
if "$CLI" profile --zoo "$ROOT/zoo" --processors cpu0,cuda0 --segments 3 -o "$PROFILE" \
     >"$LOG_DIR/profile.log" 2>&1; then
  lat="$(/usr/bin/python3 - "$PROFILE" <<'PY'
import json, statistics, sys
p = json.load(open(sys.argv[1]))
names = [q["name"] for q in p["processors"]]
out = []
for t in p["tasks"]:
    per = [statistics.median(s["latency_us"][i] for s in t["segments"]) for i in range(len(names))]
    out.append(t["task"] + " " + "/".join(f"{n} {v:.0f} us" for n, v in zip(names, per)))
print("; ".join(out))
PY
)"
  record segment-latency PASS "median per segment: ${lat:-see $PROFILE}"
else
  record segment-latency FAIL "$(tail -1 "$LOG_DIR/profile.log"); see $LOG_DIR/profile.log"
fi

# --- 5. CPU+GPU workload -------------------------------------------------------------------------
if [[ -f "$PROFILE" ]] &&
   "$CLI" run --workload "$ROOT/configs/workloads/default.json" --processors cpu0,cpu1,cuda0 \
     --profile "$PROFILE" --policy all --duration 10 --json "$LOG_DIR/run.json" \
     >"$LOG_DIR/run.log" 2>/dev/null; then
  record cpu-gpu-run PASS "comparison table in $LOG_DIR/run.log"
else
  record cpu-gpu-run FAIL "see $LOG_DIR/run.log"
fi

# --- summary ------------------------------------------------------------------------------------
echo
printf '%-16s %-6s %s\n' step result detail
printf '%-16s %-6s %s\n' ---------------- ------ ------
status=0
for i in "${!NAMES[@]}"; do
  printf '%-16s %-6s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${DETAILS[$i]}"
  [[ "${RESULTS[$i]}" == FAIL ]] && status=1
done
if [[ -f "$LOG_DIR/run.log" ]]; then
  echo
  echo "default workload on cpu0, cpu1 and cuda0 (10 s per policy):"
  sed -n '/^policy /,$p' "$LOG_DIR/run.log"
fi
exit $status
