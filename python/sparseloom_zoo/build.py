"""Builds the bundled pools: python3 -m sparseloom_zoo.build [--tiny] [--out DIR] [--tasks ...].

Deterministic: every seed is fixed (printed below); rebuilds from the raw data.
"""
import argparse
import os
import sys
import time

import torch

from . import data as datasets
from . import models
from .pool import TrainConfig, build_pool, default_variants

SEED = 0
TASKS = ("fmnist-resnet", "fmnist-vit", "kws")
# Fine-tuning epochs per variant (full builds). Sparsity grows gradually over the first half of
# each fine-tuning (TrainConfig.prune_ramp), so the high-sparsity steps get the longest ones.
FINETUNE_EPOCHS = {
    "fmnist-resnet": {"unstructured-50": 1.0, "unstructured-70": 1.5, "unstructured-80": 2.0,
                      "unstructured-90": 5.0, "unstructured-95": 4.0, "block4x1-50": 1.5,
                      "block4x1-75": 3.0, "block4x1-90": 5.0, "nm2of4": 2.0},
    "fmnist-vit": {"unstructured-50": 1.0, "unstructured-70": 1.0, "unstructured-80": 1.5,
                   "unstructured-90": 5.0, "unstructured-95": 2.0, "block4x1-50": 1.0,
                   "block4x1-75": 1.5, "block4x1-90": 1.5, "nm2of4": 1.0},
    "kws": {"unstructured-50": 2.0, "unstructured-70": 3.0, "unstructured-80": 4.0,
            "unstructured-90": 20.0, "unstructured-95": 6.0, "block4x1-50": 3.0,
            "block4x1-75": 6.0, "block4x1-90": 10.0, "nm2of4": 4.0},
}

# Peak fine-tuning learning rates that differ from the task's TrainConfig.finetune_lr.
FINETUNE_LR = {"fmnist-vit": {"unstructured-90": 1.2e-3}, "kws": {"unstructured-90": 2e-3}}


def task_variants(task, tiny):
    variants = default_variants()
    if not tiny:
        for v in variants:
            v.finetune_epochs = FINETUNE_EPOCHS.get(task, {}).get(v.name, v.finetune_epochs)
            v.finetune_lr = FINETUNE_LR.get(task, {}).get(v.name, v.finetune_lr)
    return variants


def task_setup(task, tiny, work_dir, log):
    """(model, dataset, TrainConfig) for one bundled task at full or tiny scale."""
    if task in ("fmnist-resnet", "fmnist-vit"):
        data = (datasets.fmnist(SEED, val_count=500, train_limit=3000, test_limit=1000) if tiny
                else datasets.fmnist(SEED))
        if task == "fmnist-resnet":
            model = models.fmnist_resnet()
            cfg = TrainConfig(epochs=6, lr=0.1, optimizer="sgd", weight_decay=5e-4, warmup_frac=0.05,
                              augment="image", finetune_epochs=1.0, finetune_lr=0.01, seed=SEED)
        else:
            model = models.fmnist_vit()
            cfg = TrainConfig(epochs=14, lr=2e-3, optimizer="adamw", weight_decay=0.05,
                              warmup_frac=0.05, label_smoothing=0.1, augment="image",
                              finetune_epochs=1.0, finetune_lr=6e-4, seed=SEED)
    else:
        kw = (dict(train_per_class=24, val_per_class=8, test_per_class=8, augment_copies=1) if tiny
              else dict(augment_copies=2))
        data = datasets.kws(SEED, cache_dir=os.path.join(work_dir, "cache"), log=log, **kw)
        model = models.kws_resnet(len(data.labels))
        cfg = TrainConfig(epochs=10, lr=3e-3, optimizer="adamw", weight_decay=0.01,
                          warmup_frac=0.05, augment="spectrogram", finetune_epochs=2.0,
                          finetune_lr=1e-3, seed=SEED)
    if tiny:
        cfg.epochs, cfg.finetune_epochs = 0.5, 0.1
    return model, data, cfg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--tiny", action="store_true", help="small data subset, fraction of an epoch")
    p.add_argument("--out", default=None, help="output folder (default: zoo/, or zoo-work/tiny with --tiny)")
    p.add_argument("--tasks", nargs="*", default=list(TASKS), choices=TASKS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", default=None,
                   help="comma-separated variant names: build just these (parents from the state "
                        "dir), no manifest; for running pruning chains in parallel processes")
    p.add_argument("--state-dir", default=None,
                   help="where finished variants are kept for resuming (default zoo-work/state"
                        "[-tiny]/<task>; 'none' disables)")
    p.add_argument("--wait", type=float, default=7200, help="with --only: seconds to wait for parents")
    args = p.parse_args(argv)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    out = args.out or os.path.join(root, "zoo-work", "tiny" if args.tiny else "zoo")
    if args.out is None and not args.tiny:
        out = os.path.join(root, "zoo")
    if args.tiny and os.path.abspath(out) == os.path.join(root, "zoo"):
        p.error("--tiny never writes into zoo/; pass another --out")
    work = os.path.join(root, "zoo-work")
    torch.set_num_threads(args.threads)

    def log(msg):
        print(f"[{time.time() - t0:7.1f}s] {msg}", flush=True)

    t0 = time.time()
    log(f"building {'tiny ' if args.tiny else ''}zoo into {out}: tasks {args.tasks}, seed {SEED}, "
        f"{args.threads} threads")
    for task in args.tasks:
        ts = time.time()
        torch.manual_seed(SEED)
        model, data, cfg = task_setup(task, args.tiny, work, log)
        log(f"[{task}] data ready: train {data.train_x.shape}, val {data.val_x.shape}, "
            f"test {data.test_x.shape}")
        # Full builds keep finished variants in zoo-work/state/<task> (resume, parallel chains);
        # tiny builds start from scratch unless --state-dir is given.
        sd = args.state_dir or (None if args.tiny else os.path.join(work, "state"))
        state_dir = None if sd in (None, "none") else os.path.join(sd, task)
        build_pool(task, model, data, task_variants(task, args.tiny), os.path.join(out, task), cfg,
                   threads=args.threads, log=log, state_dir=state_dir,
                   only=set(args.only.split(",")) if args.only else None, wait_s=args.wait,
                   extra_manifest={"build": {"tiny": args.tiny, "seed": SEED}})
        log(f"[{task}] done in {time.time() - ts:.0f}s")
    log(f"zoo built in {time.time() - t0:.0f}s total ({(time.time() - t0) / 60:.1f} min)")


if __name__ == "__main__":
    sys.exit(main())
