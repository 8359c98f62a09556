#!/usr/bin/python3
"""Writes magnitude-pruned copies of an exported edge model, for whole-model sparse benchmarks.

  /usr/bin/python3 bench/prune_model.py MODEL_NAME SPARSITY [--pattern unstructured|block4x1]
                                       [--models-dir DIR] [--out-dir OUT]

Reads DIR/MODEL_NAME.onnx and its .json (scripts/export-edge-models.py) and writes
OUT/MODEL_NAME-unstr<P>.onnx (or -block<P>) and .json (OUT defaults to DIR), where every Conv, Gemm
and MatMul weight with at least 1024 elements has its smallest-magnitude fraction SPARSITY set to
zero, per layer: single weights (unstructured), or blocks of 4 output channels at one input
position ranked by L1 norm (block4x1). The first conv, with 3 input channels, is left dense as
pruning recipes do. The weights are not
fine-tuned: this measures speed, not accuracy. Then `bench/compare_ort.py --models
MODEL_NAME-unstr<P>` compares SparseLoom's sparse kernels with ONNX Runtime's dense ones.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def prune(w, sparsity, pattern, columns_out):
    """w with `sparsity` of it zeroed by magnitude; None when nothing is pruned."""
    if pattern == "unstructured":
        k = int(round(w.size * sparsity))
        if k == 0:
            return None
        threshold = np.partition(np.abs(w).ravel(), k - 1)[k - 1]
        return np.where(np.abs(w) <= threshold, 0, w).astype(w.dtype)
    # block4x1: blocks of 4 output channels at one input position. Output channels are the rows
    # of Conv [OC, ...] and Gemm transB [N, K] weights, the columns of MatMul / Gemm [K, N] ones.
    m = w.T.copy() if columns_out else w.reshape(w.shape[0], -1).copy()
    rows = m.shape[0] // 4 * 4
    if rows == 0:
        return None
    blocks = np.abs(m[:rows]).reshape(rows // 4, 4, -1).sum(axis=1)  # [row groups, cols]
    k = int(round(blocks.size * sparsity))
    if k == 0:
        return None
    threshold = np.partition(blocks.ravel(), k - 1)[k - 1]
    keep = np.repeat(blocks > threshold, 4, axis=0)
    m[:rows] *= keep
    return m.T.copy() if columns_out else m.reshape(w.shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("sparsity", type=float)
    ap.add_argument("--models-dir", default=os.path.join(os.path.dirname(__file__), "..", "models"))
    ap.add_argument("--out-dir", default=None)
    ap.add_argument("--pattern", default="unstructured", choices=["unstructured", "block4x1"])
    args = ap.parse_args()
    out_dir = args.out_dir or args.models_dir
    if not 0.0 <= args.sparsity < 1.0:
        sys.exit(f"prune_model: sparsity {args.sparsity} is not in [0, 1)")
    src = os.path.join(args.models_dir, args.model + ".onnx")
    if not os.path.exists(src):
        sys.exit(f"prune_model: {src}: no such model; run scripts/export-edge-models.py")
    model = onnx.load(src)
    weights, trans_b = set(), set()
    for node in model.graph.node:
        if node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1:
            weights.add(node.input[1])
            if node.op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute):
                trans_b.add(node.input[1])

    pruned = 0
    for init in model.graph.initializer:
        if init.name not in weights:
            continue
        w = numpy_helper.to_array(init)
        if w.size < 1024 or (w.ndim == 4 and w.shape[1] == 3):
            continue
        w = prune(w, args.sparsity, args.pattern, w.ndim == 2 and init.name not in trans_b)
        if w is None:
            continue
        init.CopyFrom(numpy_helper.from_array(w, init.name))
        pruned += 1
    short = "unstr" if args.pattern == "unstructured" else "block"
    tag = f"{args.model}-{short}{round(args.sparsity * 100)}"
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, tag + ".onnx"))
    with open(os.path.join(args.models_dir, args.model + ".json")) as f:
        meta = json.load(f)
    meta["model"] = tag + ".onnx"
    meta["pruned"] = {"pattern": args.pattern, "sparsity": args.sparsity, "layers": pruned}
    with open(os.path.join(out_dir, tag + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"prune_model: {tag}.onnx: {pruned} weights pruned to {args.sparsity:.0%}")


if __name__ == "__main__":
    main()
