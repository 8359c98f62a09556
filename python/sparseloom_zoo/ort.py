"""Runs ONNX models through the ONNX Runtime reference runner (scripts/ort/run.mjs, Node)."""
import json
import os
import subprocess
import tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNNER = os.path.join(ROOT, "scripts", "ort", "run.mjs")


def run(model_path, inputs, threads=2, batch=500):
    """inputs: {name: ndarray}. Returns ({output_name: ndarray}, runner JSON line)."""
    with tempfile.TemporaryDirectory(prefix="sparseloom-ort-") as tmp:
        cmd = ["node", RUNNER, "--model", str(model_path), "--output-dir", os.path.join(tmp, "out"),
               "--threads", str(threads), "--batch", str(batch)]
        for name, arr in inputs.items():
            p = os.path.join(tmp, f"in_{name}.npy")
            np.save(p, np.ascontiguousarray(arr))
            cmd += ["--input", f"{name}={p}"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"ORT runner failed on {model_path}: {res.stderr.strip()}")
        info = json.loads(res.stdout.strip().splitlines()[-1])
        outs = {n: np.load(os.path.join(tmp, "out") + "/" + n.lstrip("/") + ".npy") for n in info["outputs"]}
    return outs, info


def accuracy(model_path, x, y, input_name="input", output_name="logits", threads=2):
    outs, _ = run(model_path, {input_name: x}, threads=threads)
    return float(np.mean(np.argmax(outs[output_name], axis=1) == y))
