"""ONNX export, op whitelist check, cut discovery, sparsity measurement and INT8 Q/DQ insertion."""
import copy
import os

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper, TensorProto

from . import models

OPSET = 17
ALLOWED_OPS = frozenset("""Conv Gemm MatMul Add Sub Mul Div Pow Sqrt Erf Relu Clip Sigmoid Tanh Softmax
LayerNormalization ReduceMean BatchNormalization MaxPool AveragePool GlobalAveragePool Flatten Reshape
Transpose Concat Slice Split Gather Squeeze Unsqueeze Shape Expand Where Cast Constant Identity
QuantizeLinear DequantizeLinear""".split())
QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")


def export(model, example, path, input_name="input", output_name="logits"):
    """torch.onnx.export at opset 17, constant folding, dynamic batch axis, eval mode."""
    model.eval()
    with models.export_mode(), torch.no_grad():
        torch.onnx.export(model, example, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=[input_name], output_names=[output_name],
                          dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}})
    m = onnx.load(path)
    onnx.checker.check_model(m)
    names = {t.name for t in m.graph.initializer}
    missing = [n for n, _ in model.named_parameters() if n not in names and n.endswith(".weight")
               and any(n.startswith(f"{mn}.") for mn, mod in model.named_modules()
                       if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)))]
    if missing:
        raise RuntimeError(f"{path}: weights missing from the ONNX initializers (deduplicated or "
                           f"folded by the exporter): {missing}")
    bad = disallowed_ops(m)
    if bad:
        raise RuntimeError(f"{path}: ops outside the SparseLoom op list: {sorted(bad)}")
    return m


def disallowed_ops(model):
    return {n.op_type for n in model.graph.node} - ALLOWED_OPS


def initializers(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def weight_nodes(model):
    """[(node, weight_initializer_name)] for Conv / Gemm / MatMul nodes with a constant weight."""
    inits = {t.name for t in model.graph.initializer}
    out = []
    for n in model.graph.node:
        if n.op_type in ("Conv", "Gemm", "MatMul") and len(n.input) > 1 and n.input[1] in inits:
            out.append((n, n.input[1]))
    return out


def flat_weight(array, node):
    """Weight as [out, in * kh * kw] (the layout pruning patterns are defined on)."""
    if node.op_type == "Conv":
        return array.reshape(array.shape[0], -1)
    if node.op_type == "Gemm":
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        return array if trans_b else array.T
    return array.T  # MatMul: B is [in, out]


def node_output_names(model, skip_qdq=True):
    return [o for n in model.graph.node if not (skip_qdq and n.op_type in QDQ_OPS) for o in n.output]


def find_cuts(model):
    """Tensors that alone carry everything from the input to the output (in topological order).

    Only tensors that depend on the graph input count; a tensor T is a cut when, right after the
    node producing T, T is the only input-dependent tensor still needed by later nodes."""
    g = model.graph
    dep = {i.name for i in g.input}
    order = list(g.node)
    last_use = {}
    for idx, n in enumerate(order):
        for t in n.input:
            last_use[t] = idx
    for o in g.output:
        last_use[o.name] = len(order)
    live, cuts = set(i.name for i in g.input), []
    for idx, n in enumerate(order):
        if any(t in dep for t in n.input):
            dep.update(n.output)
        live.update(o for o in n.output if o in dep)
        live = {t for t in live if last_use.get(t, -1) > idx}
        if len(live) == 1 and n.op_type not in QDQ_OPS:
            (t,) = live
            if t in n.output and t not in {o.name for o in g.output}:
                cuts.append(t)
    return cuts


def sparsity_stats(model, prunable_names):
    """Exact-zero fraction over the prunable weights and over all Conv/Gemm/MatMul weights."""
    inits = initializers(model)
    pz = pt = az = at = 0
    for _, name in weight_nodes(model):
        a = inits[name]
        z = int(np.count_nonzero(a == 0))
        az, at = az + z, at + a.size
        if name in prunable_names:
            pz, pt = pz + z, pt + a.size
    return {"prunable": pz / max(1, pt), "all_weights": az / max(1, at)}


def parameter_count(model):
    return int(sum(int(np.prod(t.dims)) for t in model.graph.initializer
                   if t.data_type in (TensorProto.FLOAT, TensorProto.INT8, TensorProto.FLOAT16)
                   and int(np.prod(t.dims)) > 1 and not t.name.endswith(("_scale", "_zero_point"))))


def add_outputs(model, names):
    """Copy of `model` that also outputs the tensors `names` (for calibration)."""
    m = copy.deepcopy(model)
    for n in names:
        m.graph.output.append(helper.make_tensor_value_info(n, TensorProto.FLOAT, None))
    return m


def quantize_qdq(model, act_ranges):
    """Static INT8 Q/DQ: every Conv / Gemm (/ MatMul) weight becomes an int8 initializer quantized
    per output channel (symmetric, zero point 0, axis 0 for Conv and Gemm-transB; axis 1 for MatMul
    [in, out] weights) followed by DequantizeLinear; every such node's activation input gets a
    per-tensor int8 QuantizeLinear -> DequantizeLinear pair with scale / zero point from
    `act_ranges[name] = (min, max)`. All new tensors get new names (<name>_quantized,
    <name>_dequantized, <name>_scale, <name>_zero_point); original tensors keep their names and
    FP32 type, so every original tensor (cuts included) stays FP32."""
    m = copy.deepcopy(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes, new_inits, act_done = [], [], {}
    rewired = {}
    weight_init_names = {t.name for t in g.initializer}
    for node_idx, node in enumerate(g.node):
        if not (node.op_type in ("Conv", "Gemm", "MatMul") and len(node.input) > 1
                and node.input[1] in weight_init_names):
            continue
        wname = node.input[1]
        # Weight.
        w = numpy_helper.to_array(inits[wname]).astype(np.float32)
        trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
        axis = 0 if node.op_type == "Conv" or (node.op_type == "Gemm" and trans_b) else 1
        red = tuple(i for i in range(w.ndim) if i != axis)
        scale = np.abs(w).max(axis=red) / 127.0
        scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
        bshape = [1] * w.ndim
        bshape[axis] = -1
        q = np.clip(np.round(w / scale.reshape(bshape)), -127, 127).astype(np.int8)
        new_inits += [numpy_helper.from_array(q, wname + "_quantized"),
                      numpy_helper.from_array(scale, wname + "_scale"),
                      numpy_helper.from_array(np.zeros_like(q, shape=scale.shape), wname + "_zero_point")]
        new_nodes.append(helper.make_node("DequantizeLinear", [wname + "_quantized", wname + "_scale",
                                          wname + "_zero_point"], [wname + "_dequantized"],
                                          name=wname + "_DequantizeLinear", axis=axis))
        rewired.setdefault(node_idx, {})[1] = wname + "_dequantized"
        # Activation.
        a = node.input[0]
        if a not in act_done:
            lo, hi = act_ranges[a]
            lo, hi = min(0.0, float(lo)), max(0.0, float(hi))
            s = np.float32(max(hi - lo, 1e-8) / 255.0)
            zp = np.int8(np.clip(np.round(-128 - lo / s), -128, 127))
            new_inits += [numpy_helper.from_array(np.array(s, dtype=np.float32), a + "_scale"),
                          numpy_helper.from_array(np.array(zp, dtype=np.int8), a + "_zero_point")]
            new_nodes.append(helper.make_node("QuantizeLinear", [a, a + "_scale", a + "_zero_point"],
                                              [a + "_quantized"], name=a + "_QuantizeLinear"))
            new_nodes.append(helper.make_node("DequantizeLinear", [a + "_quantized", a + "_scale",
                                              a + "_zero_point"], [a + "_dequantized"],
                                              name=a + "_DequantizeLinear"))
            act_done[a] = a + "_dequantized"
        rewired[node_idx][0] = act_done[a]
    quantized_weights = {w for _, w in weight_nodes(m)}
    # Rebuild the node list in a valid topological order: each Q/DQ right before its consumer.
    producers = {}
    for qn in new_nodes:
        producers[qn.output[0]] = qn
    out_nodes, emitted = [], set()

    def emit(tensor):
        qn = producers.get(tensor)
        if qn is None or qn.name in emitted:
            return
        for t in qn.input:
            emit(t)
        emitted.add(qn.name)
        out_nodes.append(qn)

    for node_idx, node in enumerate(g.node):
        for idx, t in rewired.get(node_idx, {}).items():
            node.input[idx] = t
            emit(t)
        out_nodes.append(node)
    del g.node[:]
    g.node.extend(out_nodes)
    keep = [t for t in g.initializer if t.name not in quantized_weights]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    onnx.checker.check_model(m)
    return m


def save(model, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    onnx.save(model, path)
    return os.path.getsize(path)
