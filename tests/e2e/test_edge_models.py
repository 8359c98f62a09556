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
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.path.join(ROOT, "scripts", "export-edge-models.py")
PRUNER = os.path.join(ROOT, "bench", "prune_model.py")
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


@pytest.fixture(scope="session")
def pruned_resnet18(models_dir, tmp_path_factory):
    """ResNet-18 with its conv weights pruned to 90% (bench/prune_model.py): (dir, meta)."""
    out = str(tmp_path_factory.mktemp("pruned"))
    proc = subprocess.run([sys.executable, PRUNER, "resnet18", "0.9", "--models-dir", models_dir,
                           "--out-dir", out], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out, compare.load_meta(out, "resnet18-unstr90")


def test_kernel_modes_agree_on_a_pruned_model(binary, pruned_resnet18, tmp_path):
    """run-model --kernels dense|auto|sparse: the same outputs up to rounding."""
    out, meta = pruned_resnet18
    model = os.path.join(out, meta["model"])
    inputs = compare.make_inputs(meta, SEED, str(tmp_path))
    outputs = {}
    for mode in ("dense", "auto", "sparse"):
        mode_dir = tmp_path / mode
        mode_dir.mkdir()
        compare.run_sparseloom(binary, model, inputs, str(mode_dir), timeout=RUN_TIMEOUT_S,
                               extra_args=["--kernels", mode])
        outputs[mode] = np.load(compare.output_file(str(mode_dir), meta["outputs"][0]["name"]))
    for mode in ("auto", "sparse"):
        err = compare.max_relative_error(outputs[mode], outputs["dense"])
        assert err <= TOLERANCE, f"--kernels {mode} differs from dense by {err:.3g}"
    bad = subprocess.run([binary, "run-model", model, "--kernels", "fast"], capture_output=True,
                         text=True, timeout=RUN_TIMEOUT_S)
    assert bad.returncode != 0
    assert "--kernels must be dense, auto or sparse" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_inspect_reports_kernels_and_times(binary, pruned_resnet18):
    """inspect --kernels lists every Conv/Gemm with its kernel and a measured time."""
    out, meta = pruned_resnet18
    model = os.path.join(out, meta["model"])
    proc = subprocess.run([binary, "inspect", model, "--kernels", "--json", "--repeat", "2"],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    layers = report["layers"]
    assert len(layers) == report["ops"]["Conv"] + report["ops"].get("Gemm", 0)
    assert all(layer["measured_ms"] > 0 for layer in layers)
    sparse = [layer for layer in layers if layer["kernel"].startswith("sparse-")]
    # Every pruned conv at 90% beats dense here; the 3-channel stem is dense.
    assert len(sparse) >= len(layers) // 2, [layer["kernel"] for layer in layers]
    assert any(not layer["kernel"].startswith("sparse-") for layer in layers)
