// Minimal .npy reader/writer (format version 1.0/2.0, little-endian, C order).
// Supports float32, float64 (read), int64, int32, uint8, int8 and bool (read).
import { readFileSync, writeFileSync } from 'node:fs';

const DTYPES = {
  '<f4': { name: 'float32', Array: Float32Array },
  '<f8': { name: 'float64', Array: Float64Array },
  '<i8': { name: 'int64', Array: BigInt64Array },
  '<i4': { name: 'int32', Array: Int32Array },
  '|u1': { name: 'uint8', Array: Uint8Array },
  '|i1': { name: 'int8', Array: Int8Array },
  '|b1': { name: 'bool', Array: Uint8Array },
};

// Returns {dtype: 'float32'|..., shape: number[], data: TypedArray}.
export function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d || buf.toString('latin1', 4, 6) !== 'PY') {
    throw new Error(`${path}: not a .npy file`);
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', headerStart, headerStart + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const dt = DTYPES[descr];
  if (!dt) throw new Error(`${path}: unsupported dtype ${descr}`);
  if (fortran) throw new Error(`${path}: fortran order not supported`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLen;
  const bytes = buf.subarray(offset, offset + count * dt.Array.BYTES_PER_ELEMENT);
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  return { dtype: dt.name, shape, data: new dt.Array(aligned.buffer, 0, count) };
}

const DESCR = { float32: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', uint8: '|u1', int8: '|i1', bool: '|b1' };

export function writeNpy(path, dtype, shape, data) {
  const descr = DESCR[dtype];
  if (!descr) throw new Error(`writeNpy: unsupported dtype ${dtype}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.writeUInt32BE(0x934e554d, 0);
  head.write('PY', 4, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
}
