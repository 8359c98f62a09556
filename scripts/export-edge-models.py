#!/usr/bin/python3
"""Exports the edge benchmark models to ONNX (opset 17) with Debian's torch.

  /usr/bin/python3 scripts/export-edge-models.py [--out DIR] [--only NAME,...] [--small] [--list]

Models (random weights from a fixed seed, eval mode, dynamic batch axis, constant folding):
  resnet18, resnet50, mobilenetv2   torchvision CNNs, input float32[batch,3,224,224]
  vit-s16                           ViT-S/16 encoder: dim 384, 12 layers, 6 heads, MLP 1536,
                                    224x224 in patches of 16 -> 196 + class token = 197 tokens,
                                    pre-norm; input float32[batch,3,224,224] -> logits[batch,1000]
  bert-base                         BERT-base encoder: dim 768, 12 layers, 12 heads, MLP 3072,
                                    post-norm; input int64 token ids [batch,128] ->
                                    last_hidden_state[batch,128,768], pooler_output[batch,768]
  vit-s16-2l, bert-base-2l          the same with 2 layers, for tests that must fit in CI time

--small selects resnet18, mobilenetv2, vit-s16-2l, bert-base-2l (the CI set). The default is the
five full-size models. Next to each MODEL.onnx a MODEL.json records its inputs (name, dtype,
shape with batch 1, value range for random inputs) and outputs, so scripts/compare-with-ort.sh
and bench/compare_ort.py can make inputs without guessing.

The transformers are written here in plain torch (nn.Linear, nn.LayerNorm, softmax, GELU via erf)
so that the graph uses only ops SparseLoom lists; the script prints the op histogram of each
export and flags any op outside ALLOWED_OPS.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torchvision

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SEED = 20240601
OPSET = 17

ALLOWED_OPS = set("""Conv Gemm MatMul Add Sub Mul Div Pow Sqrt Erf Relu Clip Sigmoid Tanh Softmax
LayerNormalization ReduceMean BatchNormalization MaxPool AveragePool GlobalAveragePool Flatten
Reshape Transpose Concat Slice Split Gather Squeeze Unsqueeze Shape Expand Where Cast Constant
ConstantOfShape Equal Range Identity""".split())


# ----------------------------------------------------------------------------- transformer parts
def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class MultiHeadSelfAttention(nn.Module):
    """Fused QKV projection, scaled dot-product attention without a mask, output projection."""

    def __init__(self, dim, heads):
        super().__init__()
        assert dim % heads == 0
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [b, heads, n, head_dim]
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        attn = torch.softmax(scores, dim=-1)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d)
        return self.proj(out)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(gelu_erf(self.fc1(x)))


class EncoderBlock(nn.Module):
    """Pre-norm (ViT) or post-norm (BERT) transformer encoder block."""

    def __init__(self, dim, heads, mlp, pre_norm, eps):
        super().__init__()
        self.pre_norm = pre_norm
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = MultiHeadSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp)

    def forward(self, x):
        if self.pre_norm:
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))
        x = self.norm1(x + self.attn(x))
        return self.norm2(x + self.mlp(x))


class VisionTransformer(nn.Module):
    def __init__(self, image=224, patch=16, dim=384, depth=12, heads=6, mlp=1536, classes=1000):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        tokens = (image // patch) ** 2 + 1
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, tokens, dim) * 0.02)
        self.blocks = nn.ModuleList(
            [EncoderBlock(dim, heads, mlp, pre_norm=True, eps=1e-6) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, image):
        x = self.patch_embed(image).flatten(2).transpose(1, 2)  # [b, 196, dim]
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


class BertEncoder(nn.Module):
    def __init__(self, vocab=30522, seq=128, dim=768, depth=12, heads=12, mlp=3072):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        # Position and token-type (all type 0) embeddings for a fixed sequence length, summed into
        # one constant so the graph needs no Range.
        self.position_type = nn.Parameter(torch.randn(1, seq, dim) * 0.02)
        self.emb_norm = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList(
            [EncoderBlock(dim, heads, mlp, pre_norm=False, eps=1e-12) for _ in range(depth)])
        self.pooler = nn.Linear(dim, dim)

    def forward(self, input_ids):
        x = self.emb_norm(self.word_embeddings(input_ids) + self.position_type)
        for layer in self.layers:
            x = layer(x)
        return x, torch.tanh(self.pooler(x[:, 0]))


def init_transformer(model):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.normal_(m.bias, std=0.02)
        elif isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, mean=1.0, std=0.05)
            nn.init.normal_(m.bias, std=0.05)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)
    return model


def randomize_batchnorm(model):
    """Non-trivial running statistics, so BatchNormalization (or its folded form) is exercised."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            nn.init.normal_(m.weight, mean=1.0, std=0.1)
            nn.init.normal_(m.bias, std=0.1)
    return model


# ----------------------------------------------------------------------------- model table
def image_spec():
    return [{"name": "image", "dtype": "float32", "shape": [1, 3, 224, 224],
             "low": -2.0, "high": 2.0}]


def bert_spec(seq=128, vocab=30522):
    return [{"name": "input_ids", "dtype": "int64", "shape": [1, seq], "low": 0, "high": vocab}]


MODELS = {
    "resnet18": (lambda: randomize_batchnorm(torchvision.models.resnet18()), image_spec, ["logits"]),
    "resnet50": (lambda: randomize_batchnorm(torchvision.models.resnet50()), image_spec, ["logits"]),
    "mobilenetv2": (lambda: randomize_batchnorm(torchvision.models.mobilenet_v2()), image_spec,
                    ["logits"]),
    "vit-s16": (lambda: init_transformer(VisionTransformer(depth=12)), image_spec, ["logits"]),
    "bert-base": (lambda: init_transformer(BertEncoder(depth=12)), bert_spec,
                  ["last_hidden_state", "pooler_output"]),
    "vit-s16-2l": (lambda: init_transformer(VisionTransformer(depth=2)), image_spec, ["logits"]),
    "bert-base-2l": (lambda: init_transformer(BertEncoder(depth=2)), bert_spec,
                     ["last_hidden_state", "pooler_output"]),
}
FULL_SET = ["resnet18", "resnet50", "mobilenetv2", "vit-s16", "bert-base"]
SMALL_SET = ["resnet18", "mobilenetv2", "vit-s16-2l", "bert-base-2l"]


def example_inputs(spec, seed):
    rng = np.random.default_rng(seed)
    tensors = []
    for s in spec:
        if s["dtype"] == "int64":
            tensors.append(torch.from_numpy(rng.integers(s["low"], s["high"], s["shape"])))
        else:
            tensors.append(torch.from_numpy(
                rng.uniform(s["low"], s["high"], s["shape"]).astype(np.float32)))
    return tuple(tensors)


def export_one(name, out_dir):
    build, spec_fn, output_names = MODELS[name]
    torch.manual_seed(SEED)
    model = build().eval()
    spec = spec_fn()
    inputs = example_inputs(spec, SEED)
    path = os.path.join(out_dir, name + ".onnx")
    dynamic = {s["name"]: {0: "batch"} for s in spec}
    dynamic.update({o: {0: "batch"} for o in output_names})
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(model, inputs, path, opset_version=OPSET, do_constant_folding=True,
                          input_names=[s["name"] for s in spec], output_names=output_names,
                          dynamic_axes=dynamic)
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    ops = {}
    for node in proto.graph.node:
        ops[node.op_type] = ops.get(node.op_type, 0) + 1
    params = sum(int(np.prod(t.dims)) for t in proto.graph.initializer)
    outputs = []
    for o in proto.graph.output:
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in o.type.tensor_type.shape.dim]
        outputs.append({"name": o.name, "shape": dims})
    meta = {"model": name + ".onnx", "opset": OPSET, "seed": SEED, "inputs": spec,
            "outputs": outputs, "parameters": params, "ops": dict(sorted(ops.items()))}
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    size_mb = os.path.getsize(path) / 1e6
    print(f"  {name}: {path} {size_mb:.1f} MB, {params / 1e6:.2f} M parameters, "
          f"{len(proto.graph.node)} nodes, {time.time() - t0:.1f} s")
    print("    ops: " + " ".join(f"{k}x{v}" for k, v in sorted(ops.items())))
    unknown = sorted(set(ops) - ALLOWED_OPS)
    if unknown:
        print(f"    WARNING: ops outside the allowed list: {', '.join(unknown)}")
    return unknown


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "models"),
                        help="output folder (default: models/, git-ignored)")
    parser.add_argument("--only", default="", help="comma-separated model names")
    parser.add_argument("--small", action="store_true",
                        help="the CI set: " + ",".join(SMALL_SET))
    parser.add_argument("--list", action="store_true", help="print the model names and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    if args.only:
        names = [n for n in args.only.split(",") if n]
    else:
        names = SMALL_SET if args.small else FULL_SET
    bad = [n for n in names if n not in MODELS]
    if bad:
        print(f"export-edge-models: unknown model(s) {', '.join(bad)}; known: {', '.join(MODELS)}",
              file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    print(f"export-edge-models: {len(names)} model(s) to {args.out} (opset {OPSET}, seed {SEED}, "
          f"torch {torch.__version__})")
    flagged = {}
    for name in names:
        unknown = export_one(name, args.out)
        if unknown:
            flagged[name] = unknown
    if flagged:
        print("export-edge-models: ops outside the allowed list: " +
              "; ".join(f"{k}: {', '.join(v)}" for k, v in flagged.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
