#!/usr/bin/python3
"""Checks SparseLoom against ONNX Runtime on the exported edge models.

  /usr/bin/python3 scripts/compare-with-ort.py [--models a,b] [--models-dir DIR] [--threads N]
                                              [--seed S] [--tolerance T] [--bin PATH] [--keep DIR]

For each model (default: every MODEL.onnx in --models-dir that has the MODEL.json written by
scripts/export-edge-models.py):
  1. makes seeded random inputs as .npy files (float: uniform in the range MODEL.json gives,
     int64 token ids: uniform integers in [low, high)),
  2. runs `sparseloom run-model MODEL.onnx --input NAME=X.npy ... --output-dir D1 --repeat 1`,
  3. runs `node scripts/ort/run.mjs --model MODEL.onnx --input ... --output-dir D2`,
  4. for every output, max relative error = max|ours - ort| / max(max|ort|, 1e-30).
Prints one line per model and output; exits 1 if any error is above --tolerance (default 1e-4)
or a run fails, 2 on bad usage. The helpers are also used by bench/compare_ort.py and
tests/e2e/test_edge_models.py.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_MODELS_DIR = os.path.join(ROOT, "models")
ORT_RUNNER = os.path.join(ROOT, "scripts", "ort", "run.mjs")
TOLERANCE = 1e-4
TINY = 1e-30

LATENCY_RE = re.compile(r"latency: median ([0-9.eE+-]+) ms, p90 ([0-9.eE+-]+) ms")


def find_binary(explicit=None):
    """$SPARSELOOM_BIN, else build/bin/sparseloom; returns None if neither exists."""
    for path in (explicit, os.environ.get("SPARSELOOM_BIN"),
                 os.path.join(ROOT, "build", "bin", "sparseloom")):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def load_meta(models_dir, name):
    with open(os.path.join(models_dir, name + ".json")) as f:
        return json.load(f)


def list_models(models_dir):
    if not os.path.isdir(models_dir):
        return []
    return sorted(f[:-5] for f in os.listdir(models_dir)
                  if f.endswith(".json") and os.path.exists(os.path.join(models_dir, f[:-5] + ".onnx")))


def make_inputs(meta, seed, out_dir):
    """Writes one .npy per model input; returns [(name, path)]."""
    rng = np.random.default_rng(seed)
    files = []
    for spec in meta["inputs"]:
        if spec["dtype"] == "int64":
            arr = rng.integers(spec["low"], spec["high"], spec["shape"], dtype=np.int64)
        else:
            arr = rng.uniform(spec["low"], spec["high"], spec["shape"]).astype(spec["dtype"])
        path = os.path.join(out_dir, spec["name"] + ".npy")
        np.save(path, arr)
        files.append((spec["name"], path))
    return files


def run_sparseloom(binary, model, inputs, out_dir=None, threads=1, repeat=1, timeout=None,
                   extra_args=()):
    """Runs `sparseloom run-model`; returns (median_ms, p90_ms). Raises RuntimeError on failure."""
    cmd = [binary, "run-model", model, "--threads", str(threads), "--repeat", str(repeat)]
    cmd += list(extra_args)
    for name, path in inputs:
        cmd += ["--input", f"{name}={path}"]
    if out_dir:
        cmd += ["--output-dir", out_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"sparseloom run-model failed (exit {proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    m = LATENCY_RE.search(proc.stdout)
    if not m:
        raise RuntimeError(f"no latency line in sparseloom output:\n{proc.stdout}")
    return float(m.group(1)), float(m.group(2))


def run_ort(model, inputs, out_dir, threads=1, repeat=1, timeout=None):
    """Runs scripts/ort/run.mjs; returns (median_ms, p90_ms). Raises RuntimeError on failure."""
    cmd = ["node", ORT_RUNNER, "--model", model, "--output-dir", out_dir,
           "--threads", str(threads), "--repeat", str(repeat)]
    for name, path in inputs:
        cmd += ["--input", f"{name}={path}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"ORT runner failed (exit {proc.returncode}): "
                           f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    line = [l for l in proc.stdout.splitlines() if l.startswith("{")][-1]
    lat = json.loads(line)["latency_ms"]
    return float(lat["median"]), float(lat["p90"])


def output_file(out_dir, name):
    """sparseloom replaces '/' in output names by '_'; ORT writes sub-folders."""
    for candidate in (name, name.replace("/", "_").replace("\\", "_")):
        path = os.path.join(out_dir, candidate + ".npy")
        if os.path.exists(path):
            return path
    raise RuntimeError(f"no output file for '{name}' in {out_dir}")


def max_relative_error(ours, ref):
    """max|ours - ref| / max(max|ref|, TINY); inf on shape mismatch or non-finite values."""
    if ours.shape != ref.shape:
        return float("inf")
    ours = ours.astype(np.float64)
    ref = ref.astype(np.float64)
    if not np.all(np.isfinite(ours)):
        return float("inf")
    scale = max(float(np.max(np.abs(ref))) if ref.size else 0.0, TINY)
    return float(np.max(np.abs(ours - ref))) / scale if ref.size else 0.0


def compare_model(binary, models_dir, name, threads=1, seed=1, work_dir=None, timeout=None):
    """Runs both engines on one model; returns [(output_name, shape, max_rel_err)].

    Raises RuntimeError when a run fails."""
    meta = load_meta(models_dir, name)
    model = os.path.join(models_dir, meta["model"])
    own_tmp = work_dir is None
    work_dir = work_dir or tempfile.mkdtemp(prefix=f"sl-cmp-{name}-")
    try:
        in_dir, ours_dir, ort_dir = (os.path.join(work_dir, d) for d in ("in", "ours", "ort"))
        for d in (in_dir, ours_dir, ort_dir):
            os.makedirs(d, exist_ok=True)
        inputs = make_inputs(meta, seed, in_dir)
        run_sparseloom(binary, model, inputs, ours_dir, threads=threads, timeout=timeout)
        run_ort(model, inputs, ort_dir, threads=threads, timeout=timeout)
        results = []
        for out in meta["outputs"]:
            ours = np.load(output_file(ours_dir, out["name"]))
            ref = np.load(output_file(ort_dir, out["name"]))
            results.append((out["name"], tuple(ref.shape), max_relative_error(ours, ref)))
        return results
    finally:
        if own_tmp:
            shutil.rmtree(work_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="", help="comma-separated names (default: all exported)")
    parser.add_argument("--models-dir", default=DEFAULT_MODELS_DIR)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--bin", default=None, help="sparseloom binary (default: $SPARSELOOM_BIN "
                        "or build/bin/sparseloom)")
    parser.add_argument("--keep", default=None, help="keep inputs and outputs under this folder")
    args = parser.parse_args()

    binary = find_binary(args.bin)
    if not binary:
        print("compare-with-ort: no sparseloom binary (set SPARSELOOM_BIN or build build/bin/sparseloom)",
              file=sys.stderr)
        return 2
    names = [n for n in args.models.split(",") if n] or list_models(args.models_dir)
    if not names:
        print(f"compare-with-ort: no exported models in {args.models_dir}; run "
              "scripts/export-edge-models.py first", file=sys.stderr)
        return 2
    missing = [n for n in names if not os.path.exists(os.path.join(args.models_dir, n + ".json"))]
    if missing:
        print(f"compare-with-ort: not exported: {', '.join(missing)} (in {args.models_dir})",
              file=sys.stderr)
        return 2

    print(f"compare-with-ort: {binary}, {args.threads} thread(s), seed {args.seed}, "
          f"tolerance {args.tolerance:g}")
    failed = []
    for name in names:
        work = os.path.join(args.keep, name) if args.keep else None
        try:
            results = compare_model(binary, args.models_dir, name, args.threads, args.seed, work)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print(f"  {name}: FAIL {e}")
            failed.append(name)
            continue
        for out, shape, err in results:
            ok = err <= args.tolerance
            print(f"  {name} {out}{list(shape)}: max rel err {err:.3g} {'ok' if ok else 'FAIL'}")
            if not ok and name not in failed:
                failed.append(name)
    if failed:
        print(f"compare-with-ort: {len(failed)} of {len(names)} model(s) failed: {', '.join(failed)}")
        return 1
    print(f"compare-with-ort: all {len(names)} model(s) within {args.tolerance:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
