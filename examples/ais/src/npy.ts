/**
 * Tracks in NumPy's `.npy` format (versions 1–3), as the original MultitaskAIS keeps them: a 2-D
 * array, one row per point, columns [LAT, LON, SOG, COG, HEADING, ROT, NAV_STT, TIMESTAMP, MMSI]
 * (timestamp in epoch seconds). Floats or integers of 1–8 bytes, either byte order, C or Fortran order.
 */
import type { TrackPoint } from './track.js';

export const NPY_COLUMNS = ['LAT', 'LON', 'SOG', 'COG', 'HEADING', 'ROT', 'NAV_STT', 'TIMESTAMP', 'MMSI'] as const;

export class NpyError extends Error {}

interface NpyArray {
  rows: number;
  cols: number;
  at(row: number, col: number): number;
}

const MAGIC = '\x93NUMPY';

function reader(view: DataView, kind: string, size: number, little: boolean): (off: number) => number {
  const key = `${kind}${size}`;
  switch (key) {
    case 'f8': return (o) => view.getFloat64(o, little);
    case 'f4': return (o) => view.getFloat32(o, little);
    case 'i8': return (o) => Number(view.getBigInt64(o, little));
    case 'i4': return (o) => view.getInt32(o, little);
    case 'i2': return (o) => view.getInt16(o, little);
    case 'i1': return (o) => view.getInt8(o);
    case 'u8': return (o) => Number(view.getBigUint64(o, little));
    case 'u4': return (o) => view.getUint32(o, little);
    case 'u2': return (o) => view.getUint16(o, little);
    case 'u1': return (o) => view.getUint8(o);
    default: throw new NpyError(`unsupported dtype ${key} (floats and integers only)`);
  }
}

export function parseNpy(buf: Uint8Array): NpyArray {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 10 || String.fromCharCode(...buf.subarray(0, 6)) !== MAGIC) throw new NpyError('not a .npy file (no \\x93NUMPY magic)');
  const major = buf[6]!;
  if (major < 1 || major > 3) throw new NpyError(`unsupported .npy version ${major}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new NpyError('truncated header');
  const header = new TextDecoder().decode(buf.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([<>|=])([fiu])(\d)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*,?\s*\)/.exec(header);
  if (!descr || !fortran) throw new NpyError(`unsupported header ${header.trim()} (a numeric dtype is required)`);
  if (!shape) throw new NpyError(`shape: a 2-D array is required (${header.trim()})`);
  const size = Number(descr[3]);
  const read = reader(view, descr[2]!, size, descr[1] !== '>');
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  const data = start + headerLen;
  if (data + rows * cols * size > buf.length) throw new NpyError(`truncated data (${rows}×${cols} values of ${size} bytes expected)`);
  const colMajor = fortran[1] === 'True';
  return { rows, cols, at: (r, c) => read(data + (colMajor ? c * rows + r : r * cols + c) * size) };
}

/**
 * The tracks of one `.npy` file: its rows in order, a new track where the MMSI changes (a file
 * usually holds one vessel's track).
 */
export function npyTracks(buf: Uint8Array): TrackPoint[][] {
  const a = parseNpy(buf);
  if (a.cols !== NPY_COLUMNS.length) throw new NpyError(`expected ${NPY_COLUMNS.length} columns (${NPY_COLUMNS.join(', ')}), got ${a.cols}`);
  const tracks: TrackPoint[][] = [];
  let cur: TrackPoint[] = [];
  for (let r = 0; r < a.rows; r++) {
    const v = (c: number) => a.at(r, c);
    const p: TrackPoint = { lat: v(0), lon: v(1), sog: v(2), cog: v(3), heading: v(4), rot: v(5), navStatus: v(6), ts: v(7), mmsi: v(8) };
    if (![p.lat, p.lon, p.sog, p.cog, p.ts, p.mmsi].every(Number.isFinite)) throw new NpyError(`row ${r}: LAT, LON, SOG, COG, TIMESTAMP and MMSI must be numbers`);
    if (cur.length && cur[0]!.mmsi !== p.mmsi) {
      tracks.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) tracks.push(cur);
  return tracks;
}
