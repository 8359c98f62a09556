#!/usr/bin/env node
// ONNX Runtime reference runner.
//   node scripts/ort/run.mjs --model M.onnx --input NAME=path.npy [--input ...] --output-dir DIR
//        [--threads N] [--repeat R] [--batch B]
// Runs the model R times (default 1) on the given inputs, writes each output to
// DIR/<output_name>.npy and prints one JSON line:
//   {"outputs":[...], "latency_ms":{"median":..,"p90":..}, "threads":N, "repeat":R}
// --batch B splits every input along axis 0 into chunks of B rows (for large evaluation sets);
// outputs are concatenated; latency is then per full pass over all chunks.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, writeNpy } from './npy.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ort = require(resolve(here, '../../.deps/ort/node_modules/onnxruntime-node'));

function usage(msg) {
  if (msg) process.stderr.write(`run.mjs: ${msg}\n`);
  process.stderr.write('usage: node scripts/ort/run.mjs --model M.onnx --input NAME=path.npy ' +
    '[--input ...] --output-dir DIR [--threads N] [--repeat R] [--batch B]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { inputs: [], threads: 1, repeat: 1, batch: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--model') args.model = next();
    else if (a === '--input') {
      const v = next(); const eq = v.indexOf('=');
      if (eq <= 0) usage(`--input expects NAME=path.npy, got ${v}`);
      args.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (a === '--output-dir') args.outputDir = next();
    else if (a === '--threads') args.threads = Number(next());
    else if (a === '--repeat') args.repeat = Number(next());
    else if (a === '--batch') args.batch = Number(next());
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${a}`);
  }
  if (!args.model) usage('--model is required');
  if (!args.outputDir) usage('--output-dir is required');
  if (!(args.threads >= 1) || !(args.repeat >= 1)) usage('--threads and --repeat must be >= 1');
  return args;
}

function toTensor(arr, start, rows) {
  const inner = arr.shape.slice(1).reduce((a, b) => a * b, 1);
  const shape = [rows, ...arr.shape.slice(1)];
  let data = arr.data.subarray(start * inner, (start + rows) * inner);
  let type = arr.dtype;
  if (type === 'bool') { type = 'bool'; data = new Uint8Array(data); }
  return new ort.Tensor(type, data, shape);
}

function quantile(sorted, q) {
  if (!sorted.length) return 0;
  const pos = (sorted.length - 1) * q; const lo = Math.floor(pos); const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const arrays = args.inputs.map(([name, path]) => [name, readNpy(path)]);
  for (const [name] of arrays) {
    if (!session.inputNames.includes(name)) throw new Error(`model has no input named ${name}; inputs: ${session.inputNames.join(', ')}`);
  }
  const n = arrays.length ? arrays[0][1].shape[0] ?? 1 : 1;
  const chunk = args.batch > 0 && arrays.length && arrays[0][1].shape.length ? args.batch : n;
  const times = [];
  let collected = null;
  for (let r = 0; r < args.repeat; r++) {
    const parts = {};
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < n; s += chunk) {
      const rows = Math.min(chunk, n - s);
      const feeds = {};
      for (const [name, arr] of arrays) feeds[name] = arr.shape.length ? toTensor(arr, s, rows) : new ort.Tensor(arr.dtype, arr.data, []);
      const out = await session.run(feeds);
      if (r === 0) for (const k of session.outputNames) (parts[k] ??= []).push(out[k]);
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r === 0) collected = parts;
  }
  mkdirSync(args.outputDir, { recursive: true });
  for (const name of session.outputNames) {
    const tensors = collected[name];
    const first = tensors[0];
    const rows = tensors.reduce((a, t) => a + (t.dims[0] ?? 1), 0);
    const shape = first.dims.length ? [rows, ...first.dims.slice(1)] : [];
    const total = tensors.reduce((a, t) => a + t.data.length, 0);
    const data = new first.data.constructor(total);
    let off = 0;
    for (const t of tensors) { data.set(t.data, off); off += t.data.length; }
    // Tensor names may contain '/', which become sub-folders of the output dir.
    const file = join(args.outputDir, `${name}.npy`);
    mkdirSync(dirname(file), { recursive: true });
    writeNpy(file, first.type, shape, data);
  }
  const sorted = [...times].sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    outputs: session.outputNames,
    latency_ms: { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) },
    threads: args.threads, repeat: args.repeat,
  }) + '\n');
}

main().catch((e) => { process.stderr.write(`run.mjs: ${e.message}\n`); process.exit(1); });
