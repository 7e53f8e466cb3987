/** Line-level views of a log: the last N lines, and one rank's lines of a multi-node run (`N: ` prefixes, as srun --label writes). */

export function lastLines(text: string, n: number): string {
  if (n === 0) return '';
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  return lines.slice(-n).join('\n') + (trailing !== undefined ? '\n' : '');
}

/** The lines of `rank`, without their prefix; other ranks' lines and unprefixed lines are dropped. */
export function rankLines(text: string, rank: number): string {
  const prefix = `${rank}: `;
  return text.split('\n').filter((l) => l.startsWith(prefix)).map((l) => `${l.slice(prefix.length)}\n`).join('');
}

/** rankLines over a stream: whole lines are passed on as they complete. */
export function rankFilter(rank: number): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let partial = '';
  return new TransformStream({
    transform(chunk, controller) {
      const text = partial + decoder.decode(chunk, { stream: true });
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      if (end >= 0) {
        const out = rankLines(text.slice(0, end + 1), rank);
        if (out) controller.enqueue(encoder.encode(out));
      }
    },
    flush(controller) {
      const out = rankLines(partial + decoder.decode(), rank);
      if (out) controller.enqueue(encoder.encode(out));
    },
  });
}
