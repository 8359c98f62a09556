"""build_pool: model + dataset + variant specs -> a SparseLoom pool (ONNX variants + manifest).

Usable with any PyTorch classifier made of Conv2d / Linear layers (see docs/zoo.md):

    from sparseloom_zoo import Dataset, TrainConfig, build_pool, default_variants
    build_pool("my-task", model, dataset, default_variants(), "zoo/my-task",
               TrainConfig(epochs=10, lr=1e-3))
"""
import copy
import json
import math
import os
import time
from dataclasses import dataclass, field, asdict

import numpy as np
import torch
from torch import nn

from . import onnx_tools, ort, prune, train


@dataclass
class VariantSpec:
    """One variant of a pool.

    pattern: "dense" | "unstructured" | "block4x1" | "nm2:4" | "int8".
    sparsity: target fraction of exact zeros over the prunable weights (nm2:4 is always 0.5).
    parent: the variant whose fine-tuned weights are pruned further (gradual pruning; every chain
    starts at "dense"). int8 always quantizes the dense model.
    finetune_epochs: mask-preserving fine-tuning after pruning (None: TrainConfig.finetune_epochs).
    finetune_lr: its peak learning rate (None: TrainConfig.finetune_lr).
    """
    name: str
    pattern: str
    sparsity: float = 0.0
    parent: str = "dense"
    finetune_epochs: float = None
    finetune_lr: float = None


def default_variants():
    """The 11 variants of every bundled pool."""
    v = [VariantSpec("dense", "dense")]
    prev = "dense"
    for s in (50, 70, 80, 90, 95):
        v.append(VariantSpec(f"unstructured-{s}", "unstructured", s / 100, prev))
        prev = f"unstructured-{s}"
    prev = "dense"
    for s in (50, 75, 90):
        v.append(VariantSpec(f"block4x1-{s}", "block4x1", s / 100, prev))
        prev = f"block4x1-{s}"
    v.append(VariantSpec("nm2of4", "nm2:4", 0.5, "dense"))
    v.append(VariantSpec("int8", "int8", 0.0, "dense"))
    return v


@dataclass
class TrainConfig:
    """Dense training and fine-tuning hyper-parameters (see train.fit)."""
    epochs: float = 10
    lr: float = 1e-3
    batch_size: int = 128
    weight_decay: float = 0.0
    optimizer: str = "adamw"
    warmup_frac: float = 0.0
    label_smoothing: float = 0.0
    augment: object = None
    finetune_epochs: float = 1.0
    finetune_lr: float = 1e-4
    # Gradual pruning: unstructured and block sparsity grow from the parent's to the target over
    # this fraction of the fine-tuning steps (0: prune at once, then fine-tune).
    prune_ramp: float = 0.5
    seed: int = 0


def default_prunable(model):
    """Every Conv2d / Linear weight except the first conv and the last Linear (module order)."""
    mods = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    first_conv = next((n for n, m in mods if isinstance(m, nn.Conv2d)), None)
    last_linear = next((n for n, m in reversed(mods) if isinstance(m, nn.Linear)), None)
    names = [f"{n}.weight" for n, _ in mods if n not in (first_conv, last_linear)]
    excluded = [f"{n}.weight" for n in (first_conv, last_linear) if n is not None]
    return names, excluded


def _calibration_ranges(dense_path, dense_onnx, x, input_name, threads):
    acts = sorted({n.input[0] for n, _ in onnx_tools.weight_nodes(dense_onnx)})
    extra = [a for a in acts if a != input_name]
    probe = onnx_tools.add_outputs(dense_onnx, extra)
    path = dense_path + ".calib.onnx"
    onnx_tools.save(probe, path)
    try:
        outs, _ = ort.run(path, {input_name: x}, threads=threads)
    finally:
        os.remove(path)
    outs[input_name] = x
    return {a: (float(outs[a].min()), float(outs[a].max())) for a in acts}


def _wait_for(path, wait_s, log):
    t0 = time.time()
    if not os.path.exists(path):
        log(f"  waiting for {path}")
    while not os.path.exists(path):
        if time.time() - t0 > wait_s:
            raise FileNotFoundError(f"{path} (parent weights) not found")
        time.sleep(10)
    time.sleep(2)  # let the writer finish


def _load_cached(state_dir, spec, path):
    """(entry, state or None) of a variant finished by an earlier run, or None."""
    if not state_dir:
        return None
    ep = os.path.join(state_dir, f"{spec.name}.json")
    sp = os.path.join(state_dir, f"{spec.name}.pt")
    if not (os.path.exists(ep) and os.path.exists(path)):
        return None
    if spec.pattern != "int8" and not os.path.exists(sp):
        return None
    with open(ep) as f:
        entry = json.load(f)
    if entry.get("bytes") != os.path.getsize(path):
        return None
    return entry, (torch.load(sp) if spec.pattern != "int8" else None)


def _ramp(spec, finetune_epochs, config):
    """Fraction of the fine-tuning over which the sparsity grows (0: pruned at once)."""
    gradual = spec.pattern in ("unstructured", "block4x1") and finetune_epochs > 0
    return config.prune_ramp if gradual else 0.0


def _finetune_lr(spec, config):
    return spec.finetune_lr if spec.finetune_lr is not None else config.finetune_lr


def _prune_and_finetune(model, weights, spec, ft, config, data, spec_index, log, task, fit_kw):
    """Prunes `weights` from the parent's sparsity to the spec's, then fine-tunes keeping the mask;
    with a ramp the sparsity grows gradually during the fine-tuning instead of at once."""
    ramp = _ramp(spec, ft, config)
    start = float(sum(int((w == 0).sum()) for w in weights)) / sum(w.numel() for w in weights)
    masks, remask = None, None
    if ramp > 0:
        steps = max(1, int(math.ceil(ft * len(data.train_y) / config.batch_size)))
        # The target mask must be reached at a step that runs: at the latest the last one.
        ramp_steps = min(max(1, int(ramp * steps)), steps - 1)
        remask = prune.gradual_schedule(weights, spec.pattern, min(start, spec.sparsity),
                                        spec.sparsity, ramp_steps)
    else:
        masks = prune.make_masks(weights, spec.pattern, spec.sparsity)
        prune.apply_masks(weights, masks)
    how = f"gradually from {start:.2f} over {ramp:.0%} of" if ramp > 0 else "then"
    log(f"[{task}] {spec.name}: pruning from {spec.parent} {how} {ft} epochs of fine-tuning")
    if ft > 0:
        train.fit(model, data.train_x, data.train_y, epochs=ft, lr=_finetune_lr(spec, config),
                  seed=config.seed + spec_index, masks=masks, masked_weights=weights,
                  remask=remask, tag=spec.name, **fit_kw)


def build_pool(task, model, data, variants, out_dir, config, *, prunable=None, pretrained=False,
               calibration_count=512, extra_manifest=None, threads=2, log=print, state_dir=None,
               only=None, wait_s=0):
    """Trains (unless `pretrained`), folds BatchNorm, prunes + fine-tunes, quantizes, exports and
    evaluates every variant of `variants`; writes <out_dir>/{<variant>.onnx, val_x.npy, val_y.npy,
    manifest.json}. Returns the manifest dict.

    With `state_dir`, every finished variant's weights (<name>.pt) and manifest entry (<name>.json)
    are saved there and reused by later runs (resume). With `only` (variant names), just those
    variants are built (their parents must exist in state_dir, waiting up to `wait_s` seconds for
    them) and no manifest is written: several processes can build the pruning chains of one pool in
    parallel, then a last run without `only` collects everything."""
    t_start = time.time()
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    fit_kw = dict(batch_size=config.batch_size, weight_decay=config.weight_decay,
                  optimizer=config.optimizer, label_smoothing=config.label_smoothing,
                  augment=config.augment, log=log)
    cached_dense = os.path.join(state_dir, "dense.pt") if state_dir else None
    if cached_dense and only and "dense" not in only:
        _wait_for(cached_dense, wait_s, log)
    if cached_dense and os.path.exists(cached_dense):
        if hasattr(model, "fold_batchnorm"):
            model.fold_batchnorm()
        model.load_state_dict(torch.load(cached_dense))
        pretrained = True
        log(f"[{task}] dense weights from {cached_dense}")
    if not pretrained:
        log(f"[{task}] training dense model: {config.epochs} epochs on {len(data.train_y)} examples")
        train.fit(model, data.train_x, data.train_y, epochs=config.epochs, lr=config.lr,
                  warmup_frac=config.warmup_frac, seed=config.seed, tag="dense", **fit_kw)
    model.eval()
    if hasattr(model, "fold_batchnorm"):
        model.fold_batchnorm()
    acc = train.accuracy(train.predict(model, data.val_x), data.val_y)
    log(f"[{task}] dense (BatchNorm folded) val accuracy {acc:.4f} ({time.time() - t_start:.0f}s)")

    if prunable is None:
        prunable, excluded = default_prunable(model)
    else:
        excluded = []
    params = dict(model.named_parameters())
    weights = [params[n] for n in prunable]
    example = torch.from_numpy(data.val_x[:1])
    states = {"dense": copy.deepcopy(model.state_dict())}
    if state_dir:
        os.makedirs(state_dir, exist_ok=True)
        if not os.path.exists(cached_dense):
            torch.save(states["dense"], cached_dense)
    entries, onnx_models = [], {}
    for spec_index, spec in enumerate(variants):
        t0 = time.time()
        path = os.path.join(out_dir, f"{spec.name}.onnx")
        if only and spec.name not in only:
            continue
        cached = _load_cached(state_dir, spec, path)
        if cached is not None:
            entry, state = cached
            if state is not None:
                states[spec.name] = state
            onnx_models[spec.name] = onnx_tools.onnx.load(path)
            entries.append(entry)
            log(f"[{task}] {spec.name}: cached (test {entry['test_accuracy']:.4f})")
            continue
        if spec.pattern not in ("dense", "int8") and spec.parent not in states and state_dir:
            ppath = os.path.join(state_dir, f"{spec.parent}.pt")
            _wait_for(ppath, wait_s, log)
            states[spec.parent] = torch.load(ppath)
        if spec.pattern == "int8" and "dense" not in onnx_models and os.path.exists(
                os.path.join(out_dir, "dense.onnx")):
            onnx_models["dense"] = onnx_tools.onnx.load(os.path.join(out_dir, "dense.onnx"))
        entry = {"name": spec.name, "file": f"{spec.name}.onnx", "pattern": spec.pattern,
                 "target_sparsity": spec.sparsity if spec.pattern != "int8" else 0.0,
                 "precision": "int8" if spec.pattern == "int8" else "fp32",
                 "parent": None if spec.name == "dense" else spec.parent}
        if spec.pattern == "int8":
            dense_path = os.path.join(out_dir, "dense.onnx")
            if "dense" not in onnx_models:
                raise ValueError("the int8 variant needs the dense variant built before it")
            rng = np.random.default_rng(config.seed)
            calib = data.train_x[np.sort(rng.choice(len(data.train_x), min(calibration_count, len(data.train_x)), replace=False))]
            ranges = _calibration_ranges(dense_path, onnx_models["dense"], calib, "input", threads)
            m = onnx_tools.quantize_qdq(onnx_models["dense"], ranges)
            onnx_tools.save(m, path)
            entry["quantization"] = {"weights": "int8 symmetric per output channel (axis 0 of the "
                                                "Conv / Gemm weight), zero point 0",
                                     "activations": "int8 per tensor, asymmetric, min/max over "
                                                    f"{len(calib)} training inputs",
                                     "calibration_count": int(len(calib))}
        else:
            model.load_state_dict(states[spec.parent if spec.pattern != "dense" else "dense"])
            if spec.pattern != "dense":
                ft = spec.finetune_epochs if spec.finetune_epochs is not None else config.finetune_epochs
                _prune_and_finetune(model, weights, spec, ft, config, data, spec_index, log, task,
                                    fit_kw)
                entry["finetune_epochs"] = ft
                entry["finetune_lr"] = _finetune_lr(spec, config)
                entry["prune_ramp"] = _ramp(spec, ft, config)
            states[spec.name] = copy.deepcopy(model.state_dict())
            m = onnx_tools.export(model, example, path)
        onnx_models[spec.name] = m
        sp = onnx_tools.sparsity_stats(m, set(prunable))
        entry.update({"measured_sparsity": round(sp["prunable"], 6),
                      "weight_sparsity_all": round(sp["all_weights"], 6),
                      "parameters": onnx_tools.parameter_count(m),
                      "bytes": os.path.getsize(path)})
        entry["val_accuracy"] = ort.accuracy(path, data.val_x, data.val_y, threads=threads)
        entry["test_accuracy"] = ort.accuracy(path, data.test_x, data.test_y, threads=threads)
        if state_dir:
            with open(os.path.join(state_dir, f"{spec.name}.json"), "w") as f:
                json.dump(entry, f)
            if spec.name in states:
                torch.save(states[spec.name], os.path.join(state_dir, f"{spec.name}.pt"))
        log(f"[{task}] {spec.name}: sparsity {entry['measured_sparsity']:.3f}, "
            f"val {entry['val_accuracy']:.4f}, test {entry['test_accuracy']:.4f}, "
            f"{entry['bytes']} bytes ({time.time() - t0:.0f}s)")
        entries.append(entry)

    if only:
        log(f"[{task}] built {sorted(only)} in {time.time() - t_start:.0f}s (no manifest: partial run)")
        return None
    # Every variant must share node output names outside Q/DQ nodes (so cuts exist everywhere).
    ref_names = onnx_tools.node_output_names(onnx_models["dense"])
    for name, m in onnx_models.items():
        if onnx_tools.node_output_names(m) != ref_names:
            raise RuntimeError(f"[{task}] variant {name} has different node outputs than dense")
        if onnx_tools.disallowed_ops(m):
            raise RuntimeError(f"[{task}] variant {name} uses ops {onnx_tools.disallowed_ops(m)}")
    cuts = onnx_tools.find_cuts(onnx_models["dense"])

    np.save(os.path.join(out_dir, "val_x.npy"), np.ascontiguousarray(data.val_x, dtype=np.float32))
    np.save(os.path.join(out_dir, "val_y.npy"), np.ascontiguousarray(data.val_y, dtype=np.int64))
    input_shape = ["N"] + list(data.val_x.shape[1:])
    manifest = {
        "task": task,
        "format_version": 1,
        "input": {"name": "input", "shape": input_shape, "dtype": "float32"},
        "output": {"name": "logits", "shape": ["N", len(data.labels)], "dtype": "float32"},
        "labels": list(data.labels),
        "data": dict(data.description),
        "val": {"x": "val_x.npy", "y": "val_y.npy", "count": int(len(data.val_y))},
        "test_count": int(len(data.test_y)),
        "opset": onnx_tools.OPSET,
        "cuts": cuts,
        "prunable_weights": list(prunable),
        "unpruned_weights": excluded,
        "pruning_note": "sparsity is measured over prunable_weights (every Conv / Gemm weight except "
                        "unpruned_weights: the first conv and the final classifier), viewed as "
                        "[out, in*kh*kw]; zeros are exact zeros in the ONNX initializers",
        "seed": config.seed,
        "train_config": {k: (v if not callable(v) else getattr(v, "__name__", str(v)))
                         for k, v in asdict(config).items()},
        "variants": entries,
    }
    if extra_manifest:
        manifest.update(extra_manifest)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    log(f"[{task}] pool written to {out_dir} in {time.time() - t_start:.0f}s")
    return manifest
