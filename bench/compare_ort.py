#!/usr/bin/python3
"""Whole-model latency of SparseLoom against ONNX Runtime, measured in the same run.

  /usr/bin/python3 bench/compare_ort.py [--models a,b] [--models-dir DIR] [--threads 1,2]
                                       [--repeat R] [--big-repeat R] [--seed S] [--bin PATH]
                                       [--rounds K] [--markdown FILE] [--with-dense]

For every model exported by scripts/export-edge-models.py (default: the five full-size ones
that are present) and every thread count, both engines run the same model on the same seeded
inputs: `sparseloom run-model --repeat R` (one warm-up, then R timed runs) and
`node scripts/ort/run.mjs --repeat R+1` (its first run is the warm-up; its median over R+1 runs
is used as is). Each engine reports the median of its runs; with --rounds K > 1 the two engines
alternate K times and the table shows the median of the K medians, which evens out noise from
other processes on the machine. Models with more than 50 M parameters use --big-repeat runs.

Prints a markdown table: model | threads | sparseloom ms | ORT ms | ratio (ours/ORT), with the
machine (lscpu model name, CPU count), date and seed; --markdown also writes it to FILE.
A model that fails in SparseLoom gets "fail" and the first line of the error.
"""
import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FULL_SET = ["resnet18", "resnet50", "mobilenetv2", "vit-s16", "bert-base"]


def load_compare():
    spec = importlib.util.spec_from_file_location(
        "compare_with_ort", os.path.join(ROOT, "scripts", "compare-with-ort.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine():
    name = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                name = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} CPU(s) visible"


def fmt(ms):
    return "fail" if ms is None else f"{ms:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="")
    parser.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--big-repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bin", default=None)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per engine run")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--with-dense", action="store_true",
                        help="also run `run-model --kernels dense` (our dense kernels) each round")
    args = parser.parse_args()

    compare = load_compare()
    binary = compare.find_binary(args.bin)
    if not binary:
        print("compare_ort: no sparseloom binary (set SPARSELOOM_BIN or build build/bin/sparseloom)",
              file=sys.stderr)
        return 2
    if args.models:
        names = [n for n in args.models.split(",") if n]
    else:
        names = [n for n in FULL_SET if n in compare.list_models(args.models_dir)]
    if not names:
        print(f"compare_ort: no models in {args.models_dir}; run scripts/export-edge-models.py",
              file=sys.stderr)
        return 2
    threads = [int(t) for t in args.threads.split(",") if t]

    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="sl-bench-") as tmp:
        for name in names:
            meta = compare.load_meta(args.models_dir, name)
            model = os.path.join(args.models_dir, meta["model"])
            in_dir = os.path.join(tmp, name, "in")
            os.makedirs(in_dir)
            inputs = compare.make_inputs(meta, args.seed, in_dir)
            repeat = args.big_repeat if meta.get("parameters", 0) > 50e6 else args.repeat
            for t in threads:
                ours, dense, ort, error = [], [], [], None
                for _ in range(args.rounds):
                    if error is None:
                        try:
                            ours.append(compare.run_sparseloom(binary, model, inputs, threads=t,
                                                               repeat=repeat,
                                                               timeout=args.timeout)[0])
                            if args.with_dense:
                                dense.append(compare.run_sparseloom(
                                    binary, model, inputs, threads=t, repeat=repeat,
                                    timeout=args.timeout, extra_args=["--kernels", "dense"])[0])
                        except (RuntimeError, subprocess.TimeoutExpired) as e:
                            error = str(e).strip().splitlines()[0][:200]
                    ort.append(compare.run_ort(model, inputs, os.path.join(tmp, name, "ort"),
                                               threads=t, repeat=repeat + 1,
                                               timeout=args.timeout)[0])
                ours_ms = statistics.median(ours) if error is None else None
                ort_ms = statistics.median(ort)
                dense_ms = statistics.median(dense) if dense and error is None else None
                ratio = f"{ours_ms / ort_ms:.2f}" if ours_ms is not None else "-"
                rows.append((name, t, ours_ms, dense_ms, ort_ms, ratio, repeat))
                print(f"  {name} {t} thread(s), {repeat} runs: sparseloom {fmt(ours_ms)} ms, "
                      + (f"sparseloom dense {fmt(dense_ms)} ms, " if args.with_dense else "")
                      + f"ORT {fmt(ort_ms)} ms, ratio {ratio}", flush=True)
                if error:
                    notes.append(f"{name} ({t} thread(s)): {error}")

    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}; "
        f"ONNX Runtime 1.30 (onnxruntime-node, CPU EP, graph optimizations all); seed {args.seed}; "
        f"median of timed runs after one warm-up, median of {args.rounds} round(s).",
        "",
    ]
    if args.with_dense:
        lines += ["| model | threads | runs | sparseloom ms | sparseloom dense ms | ORT ms | "
                  "ratio (ours/ORT) | speed-up over our dense |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
    else:
        lines += ["| model | threads | runs | sparseloom ms | ORT ms | ratio (ours/ORT) |",
                  "|---|---:|---:|---:|---:|---:|"]
    for name, t, ours_ms, dense_ms, ort_ms, ratio, repeat in rows:
        if args.with_dense:
            gain = f"{dense_ms / ours_ms:.2f}x" if ours_ms and dense_ms else "-"
            lines.append(f"| {name} | {t} | {repeat} | {fmt(ours_ms)} | {fmt(dense_ms)} | "
                         f"{fmt(ort_ms)} | {ratio} | {gain} |")
        else:
            lines.append(f"| {name} | {t} | {repeat} | {fmt(ours_ms)} | {fmt(ort_ms)} | {ratio} |")
    if notes:
        lines.append("")
        lines += [f"- fail: {n}" for n in notes]
    table = "\n".join(lines)
    print()
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
