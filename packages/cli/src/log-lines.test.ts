import { describe, expect, it } from 'vitest';
import { lastLines, rankFilter, rankLines } from './log-lines.js';

describe('log lines', () => {
  it('keeps the last N lines, with or without a final newline', () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(lastLines('a\nb\nc', 1)).toBe('c');
    expect(lastLines('a\n', 0)).toBe('');
  });

  it('picks one rank of srun --label output, also across chunk boundaries', async () => {
    expect(rankLines('0: a\n1: b\n10: c\nplain\n1: d\n', 1)).toBe('b\nd\n');
    const chunks = ['0: x\n1: fi', 'rst\n0: y\n1: sec', 'ond'];
    const out = await new Response(new ReadableStream<Uint8Array>({
      start(c) {
        for (const t of chunks) c.enqueue(new TextEncoder().encode(t));
        c.close();
      },
    }).pipeThrough(rankFilter(1))).text();
    expect(out).toBe('first\nsecond\n');
  });
});
