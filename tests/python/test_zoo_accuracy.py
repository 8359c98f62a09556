"""Re-measures two variants per pool on the validation subset with the ONNX Runtime reference
runner (scripts/ort/run.mjs) and compares with the manifest's val_accuracy (within 1 point)."""
import json
import os
import subprocess

import numpy as np
import pytest

from conftest import ROOT

RUNNER = os.path.join(ROOT, "scripts", "ort", "run.mjs")
ORT = os.path.join(ROOT, ".deps", "ort", "node_modules", "onnxruntime-node")


@pytest.mark.parametrize("variant", ["unstructured-90", "int8"])
def test_val_accuracy_matches_manifest(pool, variant, tmp_path):
    if not os.path.isdir(ORT):
        pytest.skip("onnxruntime-node not installed (run scripts/setup.sh)")
    task, d, m = pool
    v = next(v for v in m["variants"] if v["name"] == variant)
    out = tmp_path / "out"
    res = subprocess.run(["node", RUNNER, "--model", os.path.join(d, v["file"]),
                          "--input", f"input={os.path.join(d, m['val']['x'])}",
                          "--output-dir", str(out), "--threads", "2", "--batch", "500"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout.strip().splitlines()[-1])
    assert info["outputs"] == ["logits"] and info["threads"] == 2
    logits = np.load(out / "logits.npy")
    y = np.load(os.path.join(d, m["val"]["y"]))
    assert logits.shape == (len(y), len(m["labels"])) and logits.dtype == np.float32
    acc = float(np.mean(logits.argmax(axis=1) == y))
    assert abs(acc - v["val_accuracy"]) <= 0.01, f"{task}/{variant}: {acc} vs {v['val_accuracy']}"
