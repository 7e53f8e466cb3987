import type { Command } from 'commander';
import type { GroupView, RegattaClient } from '@regatta/sdk';
import { clientFrom, type GlobalOptions } from '../context.js';
import { formatDuration } from '@regatta/core';
import { printJson, table } from '../format.js';

function bar(g: GroupView, width = 30): string {
  const filled = Math.round((g.done / Math.max(1, g.total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function progressLine(g: GroupView, elapsedMs: number): string {
  const c = g.counts;
  const rate = elapsedMs > 0 ? (g.done / elapsedMs) * 1000 : 0;
  const eta = g.etaSeconds !== null ? ` ETA ${formatDuration(g.etaSeconds * 1000)}` : '';
  return `${bar(g)} ${g.done}/${g.total}  done ${c.succeeded}  failed ${c.failed}  running ${c.running}  queued ${c.queued}` +
    `${c.canceled ? `  canceled ${c.canceled}` : ''}  ${rate.toFixed(1)}/s${eta}`;
}

/** Shows a group's progress until it ends (a live bar on a terminal, a line per change otherwise). */
export async function watchGroup(api: RegattaClient, id: string): Promise<GroupView> {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let last = '';
  let lastPrinted = 0;
  for (;;) {
    const g = await api.getGroup(id);
    const line = progressLine(g, Date.now() - started);
    const ended = g.status !== 'running';
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (ended || (line !== last && Date.now() - lastPrinted > 2000)) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    last = line;
    if (ended) {
      if (tty) process.stderr.write('\n');
      return g;
    }
    await new Promise((r) => setTimeout(r, tty ? 250 : 500));
  }
}

export function groupExitCode(g: GroupView): number {
  if (g.counts.failed > 0) return 1;
  return g.status === 'canceled' ? 130 : 0;
}

export function groupCommands(program: Command, globals: () => GlobalOptions): void {
  const group = program.command('group').description('Fan-out groups: progress, results, cancel, rerun failed items');
  group.command('ls').description('List groups').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).listGroups();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((g) => [g.id, g.name, g.status, `${g.done}/${g.total}`, String(g.counts.failed)]), ['GROUP', 'NAME', 'STATUS', 'DONE', 'FAILED']) + '\n');
  });
  group.command('show').argument('<id>').option('--json', 'print JSON').description('Status, counts and ETA of a group').action(async (id: string, o: { json?: boolean }) => {
    const g = await clientFrom(globals()).getGroup(id);
    if (o.json) {
      process.stdout.write(JSON.stringify(g, null, 2) + '\n');
      return;
    }
    process.stdout.write([
      `Group:   ${g.id}  ${g.name}`,
      `Status:  ${g.status}`,
      `Items:   ${g.total}${g.maxParallel ? `  (max_parallel ${g.maxParallel})` : ''}${g.failFast ? '  fail_fast' : ''}`,
      `Progress ${progressLine(g, g.startedAt ? Date.now() - Date.parse(g.startedAt) : 0)}`,
      '',
    ].join('\n'));
  });
  group
    .command('results')
    .argument('<id>')
    .option('--format <f>', 'table, csv or json', 'table')
    .option('--sort <column>', 'e.g. metrics.loss or params.lr')
    .option('--order <o>', 'asc or desc', 'asc')
    .description('One row per item: params, last metrics, result fields')
    .action(async (id: string, o: { format: string; sort?: string; order: string }) => {
      const api = clientFrom(globals());
      const q = { ...(o.sort ? { sort: o.sort } : {}), order: o.order === 'desc' ? 'desc' as const : 'asc' as const };
      if (o.format === 'csv') {
        process.stdout.write(await api.groupResultsCsv(id, q));
        return;
      }
      const { columns, rows } = await api.groupResults(id, q);
      if (o.format === 'json') {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
      const shown = columns.filter((c) => c !== 'id');
      process.stdout.write(table(rows.map((r) => shown.map((c) => cell(r[c]))), shown.map((c) => c.toUpperCase())) + '\n');
    });
  group.command('cancel').argument('<id>').description('Cancel every item not yet ended').action(async (id: string) => {
    const g = await clientFrom(globals()).cancelGroup(id);
    process.stdout.write(`${g.id} ${g.status}\n`);
  });
  group
    .command('rerun')
    .argument('<id>')
    .option('--wait', 'show progress until the group ends; exit non-zero if an item failed')
    .description('Rerun only the items that failed (a new attempt each, same group)')
    .action(async (id: string, o: { wait?: boolean }) => {
      const api = clientFrom(globals());
      const g = await api.rerunGroup(id);
      process.stdout.write(`${g.rerun} item(s) queued again\n`);
      if (o.wait) process.exitCode = groupExitCode(await watchGroup(api, id));
    });
}
