"""Manifest fields, sparsity patterns, op list and shared tensor names of every committed pool."""
import os

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from conftest import ROOT, ZOO_DIR

ALLOWED_OPS = set("""Conv Gemm MatMul Add Sub Mul Div Pow Sqrt Erf Relu Clip Sigmoid Tanh Softmax
LayerNormalization ReduceMean BatchNormalization MaxPool AveragePool GlobalAveragePool Flatten Reshape
Transpose Concat Slice Split Gather Squeeze Unsqueeze Shape Expand Where Cast Constant Identity
QuantizeLinear DequantizeLinear""".split())
QDQ = ("QuantizeLinear", "DequantizeLinear")
REQUIRED_PATTERNS = {("dense", 0.0), ("unstructured", 0.5), ("unstructured", 0.7), ("unstructured", 0.8),
                     ("unstructured", 0.9), ("unstructured", 0.95), ("block4x1", 0.5),
                     ("block4x1", 0.75), ("block4x1", 0.9), ("nm2:4", 0.5), ("int8", 0.0)}
FLOORS = {"fmnist-resnet": 0.91, "fmnist-vit": 0.88, "kws": 0.90}
VARIANT_FIELDS = {"name", "file", "pattern", "target_sparsity", "measured_sparsity", "precision",
                  "parameters", "bytes", "test_accuracy", "val_accuracy"}


def flat_weights(model, names):
    """{name: weight as [out, in*kh*kw]} for the Conv / Gemm / MatMul weights in `names`."""
    inits = {t.name: t for t in model.graph.initializer}
    out = {}
    for n in model.graph.node:
        if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in names:
            a = numpy_helper.to_array(inits[n.input[1]])
            if n.op_type == "Conv":
                a = a.reshape(a.shape[0], -1)
            elif n.op_type == "MatMul" or not any(x.name == "transB" and x.i for x in n.attribute):
                a = a.T
            out[n.input[1]] = a
    return out


def test_manifest_fields(pool):
    task, d, m = pool
    assert m["task"] == task
    assert m["input"]["name"] == "input" and m["output"]["name"] == "logits"
    assert m["input"]["shape"][0] == "N" and m["output"]["shape"] == ["N", len(m["labels"])]
    assert len(m["variants"]) >= 10
    assert {(v["pattern"], v["target_sparsity"]) for v in m["variants"]} >= REQUIRED_PATTERNS
    assert m["cuts"], "no cut tensors found"
    for v in m["variants"]:
        assert VARIANT_FIELDS <= set(v), f"{task}/{v['name']} misses {VARIANT_FIELDS - set(v)}"
        assert os.path.getsize(os.path.join(d, v["file"])) == v["bytes"]
        assert v["precision"] == ("int8" if v["pattern"] == "int8" else "fp32")
        assert 0.0 <= v["test_accuracy"] <= 1.0 and 0.0 <= v["val_accuracy"] <= 1.0
    x = np.load(os.path.join(d, m["val"]["x"]), mmap_mode="r")
    y = np.load(os.path.join(d, m["val"]["y"]))
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert list(x.shape[1:]) == m["input"]["shape"][1:] and len(x) == len(y) == m["val"]["count"]
    assert y.min() >= 0 and y.max() < len(m["labels"])
    if not m.get("build", {}).get("tiny"):
        assert len(y) >= 2000


def test_dense_accuracy_floor(pool):
    task, _, m = pool
    if m.get("build", {}).get("tiny"):
        pytest.skip("tiny build: no accuracy floors")
    acc = {v["name"]: v["test_accuracy"] for v in m["variants"]}
    assert acc["dense"] >= FLOORS[task], f"{task} dense {acc['dense']:.4f} < {FLOORS[task]}"
    assert acc["int8"] >= acc["dense"] - 0.01


def test_unstructured90_within_two_points(pool):
    task, _, m = pool
    if m.get("build", {}).get("tiny"):
        pytest.skip("tiny build: no accuracy floors")
    acc = {v["name"]: v["test_accuracy"] for v in m["variants"]}
    gap = acc["dense"] - acc["unstructured-90"]
    assert gap <= 0.02, f"{task}: unstructured-90 is {100 * gap:.2f} points below dense"


def test_sparsity_and_patterns(pool):
    task, d, m = pool
    prunable = set(m["prunable_weights"])
    for v in m["variants"]:
        model = onnx.load(os.path.join(d, v["file"]))
        if v["pattern"] == "int8":
            continue
        ws = flat_weights(model, prunable)
        assert set(ws) == prunable, f"{task}/{v['name']}: prunable weights missing"
        zeros = sum(int(np.count_nonzero(w == 0)) for w in ws.values())
        total = sum(w.size for w in ws.values())
        measured = zeros / total
        assert abs(measured - v["measured_sparsity"]) < 1e-4
        assert abs(measured - v["target_sparsity"]) < 0.005, f"{task}/{v['name']}: {measured}"
        for name, w in ws.items():
            o, c = w.shape
            if v["pattern"] == "block4x1":
                z = (w == 0).reshape(o // 4, 4, c).sum(axis=1)
                assert np.all((z == 0) | (z == 4)), f"{task}/{v['name']}/{name}: partial 4x1 block"
            elif v["pattern"] == "nm2:4":
                nz = (w != 0).reshape(o, c // 4, 4).sum(axis=2)
                assert np.all(nz <= 2), f"{task}/{v['name']}/{name}: more than 2 of 4 nonzero"


def test_ops_names_and_qdq(pool):
    task, d, m = pool
    ref = None
    for v in m["variants"]:
        model = onnx.load(os.path.join(d, v["file"]))
        g = model.graph
        ops = {n.op_type for n in g.node}
        assert ops <= ALLOWED_OPS, f"{task}/{v['name']}: {ops - ALLOWED_OPS}"
        assert 13 <= max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) <= 17
        assert [i.name for i in g.input] == ["input"] and [o.name for o in g.output] == ["logits"]
        assert g.input[0].type.tensor_type.shape.dim[0].dim_param, "batch axis must be dynamic"
        names = [o for n in g.node if n.op_type not in QDQ for o in n.output]
        if ref is None:
            ref = names
        assert names == ref, f"{task}/{v['name']}: node outputs differ from {m['variants'][0]['name']}"
        assert set(m["cuts"]) <= set(names)
        if v["precision"] == "int8":
            q = [n for n in g.node if n.op_type == "QuantizeLinear"]
            dq = [n for n in g.node if n.op_type == "DequantizeLinear"]
            assert q and len(dq) > len(q)
            produced_by_qdq = {o for n in q + dq for o in n.output}
            assert not produced_by_qdq & set(ref), "Q/DQ nodes must write new tensor names"
            int8_inits = [t for t in g.initializer if t.data_type == onnx.TensorProto.INT8 and len(t.dims) > 1]
            assert int8_inits, "int8 variant has no int8 weights"
            for n in g.node:  # cut tensors stay FP32: only Q/DQ consume quantized tensors
                if n.op_type in ("Conv", "Gemm"):
                    assert all(i.endswith("_dequantized") for i in n.input[:2])


def test_zoo_size():
    if os.environ.get("SPARSELOOM_ZOO_DIR"):
        pytest.skip("size limit applies to the committed zoo/")
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(ZOO_DIR) for f in fs)
    assert total <= 40_000_000, f"zoo/ is {total / 1e6:.1f} MB"
