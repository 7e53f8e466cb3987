import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ApiError, type RegattaClient, type RunDetail, type RunSummary } from '@regatta/sdk';
import { ID_PATTERN, RegattaError, parseDuration } from '@regatta/core';
import { clientFrom, type GlobalOptions } from '../context.js';
import { resolveRunId } from '../ids.js';
import { waitingReason } from '../waiting.js';
import { ago, formatBytes, span, table } from '../format.js';

const collect = (v: string, prev: string[]) => [...prev, v];

function showRun(run: RunDetail, events: { ts: string; from: string | null; to: string; reason: string | null; attempt: number }[], waiting?: string): string {
  // The backend's id of the latest attempt, where it means something to people (a Slurm job id).
  const job = run.node === 'slurm' ? run.attempts.at(-1)?.externalId : undefined;
  const lines = [
    `Run:       ${run.id}  ${run.name}`,
    `Status:    ${run.status}${run.reason ? `  (${run.reason})` : ''}${waiting ? `  ${waiting}` : ''}`,
    `Queue:     ${run.queue}  priority ${run.priority}`,
    `Node:      ${run.node ?? '-'}${run.gpus?.length ? `  GPUs ${run.gpus.join(',')}` : ''}${job ? `  (job ${job})` : ''}`,
    `Exit code: ${run.exitCode ?? '-'}`,
    `Created:   ${run.createdAt} (${ago(run.createdAt)})${run.createdBy ? ` by ${run.createdBy}` : ''}   duration ${span(run.startedAt, run.finishedAt)}`,
  ];
  if (run.health) lines.push(`Health:    ${run.health}`);
  if (run.services.length) lines.push(`Services:  ${run.services.join(', ')}  (regatta logs ${run.id} --service NAME)`);
  for (const p of run.proxy.filter((x) => x.available)) lines.push(`Port ${p.port}: ${p.path}`);
  if (Object.keys(run.labels).length) lines.push(`Labels:    ${Object.entries(run.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push('', 'Timeline:');
  for (const e of events) {
    // An event that keeps the status is a note (a service's health, a job's own event).
    lines.push(e.from === e.to ? `  ${e.ts}  #${e.attempt}  [${e.to}]  ${e.reason ?? ''}` : `  ${e.ts}  #${e.attempt}  ${e.from ?? '-'} -> ${e.to}${e.reason ? `  ${e.reason}` : ''}`);
  }
  if (run.attempts.length > 1) {
    lines.push('', 'Attempts:');
    for (const a of run.attempts) lines.push(`  #${a.attempt} ${a.status} on ${a.node ?? '-'}${a.exitCode !== undefined ? ` exit ${a.exitCode}` : ''}${a.reason ? `  ${a.reason}` : ''}`);
  }
  const metrics = Object.entries(run.metrics);
  if (metrics.length) {
    lines.push('', 'Metrics (last value):');
    lines.push(table(metrics.map(([name, m]) => [`  ${name}`, String(m.value), m.step !== undefined ? String(m.step) : '-', String(m.count)]), ['  NAME', 'VALUE', 'STEP', 'POINTS']));
  }
  if (run.result !== null && run.result !== undefined) lines.push('', 'Result:', JSON.stringify(run.result, null, 2).replace(/^/gm, '  '));
  if (run.artifacts.length) {
    lines.push('', 'Artifacts:');
    for (const a of run.artifacts) lines.push(`  ${a.path}  ${formatBytes(a.size)}`);
  }
  return lines.join('\n') + '\n';
}

/** Downloads every artifact of a run's attempt under `root`, refusing paths that would leave it. */
async function downloadAll(api: RegattaClient, runId: string, attempt: number | undefined, root: string): Promise<number> {
  const list = await api.artifacts(runId, attempt);
  for (const a of list.items) {
    const dest = resolve(join(root, a.path));
    if (!dest.startsWith(root + sep)) throw new Error(`refusing artifact path ${a.path}: it leaves ${root}`);
    await mkdir(dirname(dest), { recursive: true });
    const body = await api.downloadArtifact(runId, a.path, list.attempt);
    await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), createWriteStream(dest));
  }
  return list.items.length;
}

interface ListOptions { status?: string; queue?: string; name?: string; label: string[]; since?: string; limit?: number; cursor?: string; json?: boolean; mine?: boolean; user?: string }

/** --since: a duration back from now or a date; returns epoch milliseconds. */
export function parseSince(text: string, now = Date.now()): number {
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new RegattaError('invalid_request', `--since '${text}' is neither a duration (30m, 2h, 1d) nor a date`);
  return at;
}

/** One listing: a page (or, with --since, every run since then up to --limit), as text or JSON. */
async function captureRuns(api: RegattaClient, o: ListOptions): Promise<{ text: string; next: string | null }> {
  const since = o.since !== undefined ? parseSince(o.since) : undefined;
  const limit = o.limit ?? 50;
  const items: RunSummary[] = [];
  let cursor = o.cursor;
  let next: string | null = null;
  for (;;) {
    const page = await api.listRuns({
      ...(o.status ? { status: o.status } : {}), ...(o.queue ? { queue: o.queue } : {}), ...(o.name ? { name: o.name } : {}),
      ...(o.label.length ? { label: o.label } : {}), limit: Math.min(limit - items.length, 1000), ...(cursor ? { cursor } : {}),
      ...(o.mine ? { mine: true } : {}), ...(o.user ? { user: o.user } : {}),
    });
    const fresh = since === undefined ? page.items : page.items.filter((r) => Date.parse(r.createdAt) >= since);
    items.push(...fresh);
    next = fresh.length === page.items.length ? page.nextCursor : null;
    if (!next || items.length >= limit) break;
    cursor = next;
  }
  if (o.json) return { text: JSON.stringify({ items, nextCursor: next }, null, 2) + '\n', next };
  const now = Date.now();
  const text = table(
    items.map((r) => [
      r.id, r.name, r.status, r.queue, r.node ?? '-', r.exitCode === undefined ? '-' : String(r.exitCode), ago(r.createdAt, now), span(r.startedAt, r.finishedAt, now), r.createdBy ?? '-',
    ]),
    ['ID', 'NAME', 'STATUS', 'QUEUE', 'NODE', 'EXIT', 'CREATED', 'DURATION', 'USER'],
  ) + '\n';
  return { text, next };
}

export function inspectCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('ls')
    .description('List runs, newest first')
    .option('--status <s>', 'filter by status (comma-separated)')
    .option('--queue <q>', 'filter by queue')
    .option('--name <name>', 'filter by name')
    .option('--label <k=v>', 'filter by label (repeatable)', collect, [])
    .option('--mine', 'only runs you submitted')
    .option('--user <name>', 'only runs this user submitted')
    .option('--since <when>', 'only runs created since then: a duration back (30m, 2h, 1d) or a date (2026-12-01T10:00)')
    .option('--limit <n>', 'how many (default 50)', (v) => Number(v))
    .option('--cursor <id>', 'continue after this run id (from a previous page)')
    .option('--watch [seconds]', 'redraw every few seconds (default 2) until Ctrl-C')
    .option('--json', 'print JSON')
    .action(async (o: ListOptions & { watch?: string | true }) => {
      const api = clientFrom(globals());
      if (o.watch === undefined) {
        const { text, next } = await captureRuns(api, o);
        process.stdout.write(text);
        if (next && !o.json) process.stderr.write(`more: regatta ls --cursor ${next}\n`);
        return;
      }
      const seconds = o.watch === true ? 2 : Number(o.watch);
      if (!(seconds > 0)) throw new RegattaError('invalid_request', `--watch '${String(o.watch)}' must be a number of seconds`);
      for (;;) {
        const out = (await captureRuns(api, o)).text;
        // On a terminal, redraw in place (as watch(1) does); into a pipe, one listing after another.
        process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${new Date().toISOString()}  every ${seconds}s\n\n${out}` : `${out}\n`);
        await new Promise((r) => setTimeout(r, seconds * 1000));
      }
    });

  program
    .command('show')
    .description('Status, timeline, exit code, reason, metrics, result and artifacts of a run')
    .argument('<id>', 'run id (or a unique start of one)')
    .option('--json', 'print JSON')
    .action(async (typed: string, o: { json?: boolean }) => {
      const api = clientFrom(globals());
      const id = await resolveRunId(api, typed);
      const [run, events] = await Promise.all([api.getRun(id), api.events(id)]);
      const waiting = run.status === 'queued' ? waitingReason(run, (await api.nodes()).items, (await api.queues()).items) : undefined;
      process.stdout.write(o.json ? JSON.stringify({ ...run, events: events.items, ...(waiting ? { waiting } : {}) }, null, 2) + '\n' : showRun(run, events.items, waiting));
    });

  program
    .command('artifacts')
    .description("List a run's artifacts, or download them with --out; for a group, DIR/<item>/... for every item")
    .argument('<id>', 'run id (or a unique start of one) or group id')
    .option('--out <dir>', 'download every artifact into this directory')
    .option('--attempt <n>', 'attempt number (default: latest)', (v) => Number(v))
    .action(async (typed: string, o: { out?: string; attempt?: number }) => {
      const api = clientFrom(globals());
      const id = ID_PATTERN.test(typed) ? typed : await resolveRunId(api, typed);
      const group = await api.getGroup(id).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      });
      if (group) {
        if (!o.out) throw new Error('give --out DIR to download the artifacts of a group');
        let files = 0;
        let runs = 0;
        let cursor: string | undefined;
        for (;;) {
          const page = await api.groupRuns(id, { limit: 500, ...(cursor ? { cursor } : {}) });
          for (const r of page.items) {
            if (r.attempt === 0) continue;
            files += await downloadAll(api, r.id, undefined, join(resolve(o.out), r.item ?? r.id));
            runs++;
          }
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        process.stdout.write(`${files} artifact(s) of ${runs} run(s) of group ${id} saved to ${resolve(o.out)}/<item>/\n`);
        return;
      }
      const list = await api.artifacts(id, o.attempt);
      if (!o.out) {
        process.stdout.write(table(list.items.map((a) => [a.path, formatBytes(a.size)]), ['PATH', 'SIZE']) + '\n');
        return;
      }
      const n = await downloadAll(api, id, list.attempt, resolve(o.out));
      process.stdout.write(`${n} artifact(s) of ${id} (attempt ${list.attempt}) saved to ${resolve(o.out)}\n`);
    });
}
