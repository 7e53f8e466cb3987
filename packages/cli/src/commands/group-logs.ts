/**
 * `regatta group logs GROUP --out DIR`: every item's log as DIR/<item>/log, each attempt after a
 * header naming the node that ran it, streamed to disk (never held in memory).
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { RegattaClient, RunDetail } from '@regatta/sdk';

/** The line before an attempt's log: `==> attempt 2 of 3 on node gpu-box-1: failed (exit code 1) <==`. */
export function attemptHeader(a: RunDetail['attempts'][number], of: number): string {
  const how = a.reason ? `${a.status} (${a.reason})` : a.status;
  return `==> attempt ${a.attempt} of ${of} on node ${a.node ?? '-'}${a.startedAt ? `, started ${a.startedAt}` : ''}: ${how} <==\n`;
}

async function saveItemLog(api: RegattaClient, runId: string, dest: string): Promise<number> {
  const run = await api.getRun(runId);
  const attempts = run.attempts;
  await mkdir(dirname(dest), { recursive: true });
  const out = createWriteStream(dest);
  try {
    for (const a of attempts) {
      out.write(attemptHeader(a, attempts.length));
      const body = await api.logs(runId, { attempt: a.attempt });
      await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), out, { end: false });
    }
  } finally {
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  }
  return attempts.length;
}

/** Saves every started item's log under `root`; returns how many items and attempts. */
export async function saveGroupLogs(api: RegattaClient, groupId: string, root: string, parallel = 8): Promise<{ items: number; attempts: number }> {
  const base = resolve(root);
  let items = 0;
  let attempts = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await api.groupRuns(groupId, { limit: 500, ...(cursor ? { cursor } : {}) });
    const started = page.items.filter((r) => r.attempt > 0);
    for (let i = 0; i < started.length; i += parallel) {
      await Promise.all(started.slice(i, i + parallel).map(async (r) => {
        const dest = resolve(join(base, r.item ?? r.id, 'log'));
        // Item keys are made safe by the server; checked again, as this writes to the user's disk.
        if (!dest.startsWith(base + sep)) throw new Error(`refusing item ${r.item ?? r.id}: it leaves ${base}`);
        const n = await saveItemLog(api, r.id, dest);
        attempts += n;
        items++;
      }));
    }
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { items, attempts };
}
