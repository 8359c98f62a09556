"""End-to-end check of SparseLoom against ONNX Runtime on the edge models.

  /usr/bin/python3 -m pytest tests/e2e

Exports the CI set of scripts/export-edge-models.py (ResNet-18, MobileNetV2 and 2-layer ViT-S/16
and BERT-base encoders) into $SPARSELOOM_EDGE_MODELS_DIR (default models/ci, git-ignored; models
are re-exported when the exporter is newer than them), runs each with `sparseloom run-model` and
with scripts/ort/run.mjs on the same seeded inputs, and requires a max relative error of at most
1e-4 on every output.

The binary is $SPARSELOOM_BIN, else build/bin/sparseloom; the tests skip only when it is missing.
ONNX Runtime missing is a failure (run scripts/setup.sh).
"""
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.path.join(ROOT, "scripts", "export-edge-models.py")
ORT_PACKAGE = os.path.join(ROOT, ".deps", "ort", "node_modules", "onnxruntime-node")
CI_MODELS = ["resnet18", "mobilenetv2", "vit-s16-2l", "bert-base-2l"]
TOLERANCE = 1e-4
SEED = 7
RUN_TIMEOUT_S = 300


def _load_compare():
    spec = importlib.util.spec_from_file_location(
        "compare_with_ort", os.path.join(ROOT, "scripts", "compare-with-ort.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _load_compare()


@pytest.fixture(scope="session")
def binary():
    path = compare.find_binary()
    if path is None:
        pytest.skip("sparseloom binary not found: set SPARSELOOM_BIN or build build/bin/sparseloom")
    return path


@pytest.fixture(scope="session")
def ort_runner():
    assert os.path.isfile(compare.ORT_RUNNER), f"missing {compare.ORT_RUNNER}"
    assert os.path.isdir(ORT_PACKAGE), "ONNX Runtime not installed: run `bash scripts/setup.sh`"
    return compare.ORT_RUNNER


def _stale(models_dir, name):
    onnx_path = os.path.join(models_dir, name + ".onnx")
    meta_path = os.path.join(models_dir, name + ".json")
    if not (os.path.exists(onnx_path) and os.path.exists(meta_path)):
        return True
    return os.path.getmtime(meta_path) < os.path.getmtime(EXPORTER)


@pytest.fixture(scope="session")
def models_dir():
    path = os.environ.get("SPARSELOOM_EDGE_MODELS_DIR", os.path.join(ROOT, "models", "ci"))
    stale = [n for n in CI_MODELS if _stale(path, n)]
    if stale:
        proc = subprocess.run([sys.executable, EXPORTER, "--out", path, "--only", ",".join(stale)],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"export failed:\n{proc.stdout}\n{proc.stderr}"
        assert "WARNING" not in proc.stdout, proc.stdout
    return path


def _check(binary, models_dir, name, threads, tmp_path):
    results = compare.compare_model(binary, models_dir, name, threads=threads, seed=SEED,
                                    work_dir=str(tmp_path), timeout=RUN_TIMEOUT_S)
    assert results, f"{name}: no outputs compared"
    report = ", ".join(f"{out}{list(shape)} max rel err {err:.3g}" for out, shape, err in results)
    print(f"{name} ({threads} thread(s)): {report}")
    bad = [(out, err) for out, _, err in results if not err <= TOLERANCE]
    assert not bad, f"{name} ({threads} thread(s)) differs from ONNX Runtime: {report}"


@pytest.mark.parametrize("name", CI_MODELS)
def test_matches_onnx_runtime(binary, ort_runner, models_dir, name, tmp_path):
    _check(binary, models_dir, name, 1, tmp_path)


@pytest.mark.parametrize("name", ["mobilenetv2", "vit-s16-2l"])
def test_matches_onnx_runtime_two_threads(binary, ort_runner, models_dir, name, tmp_path):
    _check(binary, models_dir, name, 2, tmp_path)


def test_exported_models_use_only_listed_ops(models_dir):
    allowed = _exporter_allowed_ops()
    for name in CI_MODELS:
        meta = compare.load_meta(models_dir, name)
        extra = sorted(set(meta["ops"]) - allowed)
        assert not extra, f"{name} uses ops outside the list: {extra}"


def _exporter_allowed_ops():
    spec = importlib.util.spec_from_file_location("export_edge_models", EXPORTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ALLOWED_OPS
