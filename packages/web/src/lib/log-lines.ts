/**
 * A log seen through byte ranges: the viewer holds a window [start, end) of the file as lines and
 * grows it at either end, so a 500 MB log costs only what the person scrolled through. Lines are
 * split on bytes before decoding, so a range that starts or ends inside a UTF-8 character or a
 * line is stitched correctly when the neighbouring range arrives.
 */

export interface LogWindow {
  /** Byte offset of the first byte held (the start of `head`, else of the first line). */
  start: number;
  /** Byte offset just past the last byte held. */
  end: number;
  /** Complete lines, in order. */
  lines: string[];
  /** Bytes before the first complete line whose line start is not yet known (start > 0). */
  head: Uint8Array;
  /** Bytes after the last newline (a line still being written). */
  tail: Uint8Array;
}

const NL = 10;
const decoder = new TextDecoder();

export const emptyWindow = (at = 0): LogWindow => ({ start: at, end: at, lines: [], head: new Uint8Array(0), tail: new Uint8Array(0) });

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  if (!b.length) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function splitLines(bytes: Uint8Array): { lines: string[]; rest: Uint8Array } {
  const lines: string[] = [];
  let from = 0;
  for (let i = bytes.indexOf(NL); i !== -1; i = bytes.indexOf(NL, from)) {
    lines.push(decoder.decode(bytes.subarray(from, i)));
    from = i + 1;
  }
  return { lines, rest: bytes.subarray(from) };
}

/** Whether the window knows where its first line begins (at the file's start, or after a newline in head). */
const lineStartKnown = (w: LogWindow) => w.start === 0 || w.head[w.head.length - 1] === NL;

/** Adds the bytes that follow the window (they start at `w.end`). */
export function appendBytes(w: LogWindow, bytes: Uint8Array): LogWindow {
  let rest = bytes;
  let head = w.head;
  if (!lineStartKnown(w)) {
    // Everything so far is the end of a line whose beginning is not loaded: it stays out of sight.
    const i = bytes.indexOf(NL);
    if (i === -1) return { ...w, end: w.end + bytes.length, head: concat(head, bytes) };
    head = concat(head, bytes.subarray(0, i + 1));
    rest = bytes.subarray(i + 1);
  }
  const split = splitLines(concat(w.tail, rest));
  return { ...w, head, end: w.end + bytes.length, lines: split.lines.length ? [...w.lines, ...split.lines] : w.lines, tail: split.rest.slice() };
}

/** Adds the bytes just before the window (they end at `w.start`). */
export function prependBytes(w: LogWindow, bytes: Uint8Array): LogWindow {
  const start = w.start - bytes.length;
  const joined = concat(bytes, w.head);
  // Bytes up to the first newline belong to a line that began earlier, unless we reached the start.
  const cut = start > 0 ? joined.indexOf(NL) + 1 : 0;
  if (start > 0 && cut === 0) return { ...w, start, head: joined };
  const split = splitLines(joined.subarray(cut));
  // What follows the last newline can only be the file's unfinished last line (an empty window at the end).
  return { ...w, start, head: joined.slice(0, cut), lines: [...split.lines, ...w.lines], tail: concat(split.rest.slice(), w.tail) };
}

/** The lines to show: complete lines, then the unfinished last one. */
export function visibleLines(w: LogWindow): string[] {
  return w.tail.length ? [...w.lines, decoder.decode(w.tail)] : w.lines;
}

/** Indices of lines containing `needle` (case-insensitive). */
export function findLines(lines: readonly string[], needle: string): number[] {
  if (!needle) return [];
  const n = needle.toLowerCase();
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (l.toLowerCase().includes(n)) out.push(i);
  });
  return out;
}
