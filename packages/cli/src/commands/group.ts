import type { Command } from 'commander';
import type { GroupView, RegattaClient } from '@regatta/sdk';
import { clientFrom, type GlobalOptions } from '../context.js';
import { formatDuration } from '@regatta/core/basics';
import { printJson, table } from '../format.js';
import { saveGroupLogs } from './group-logs.js';
import { resolve } from 'node:path';

function bar(g: GroupView, width = 30): string {
  const filled = Math.round((g.done / Math.max(1, g.total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** `doneBefore`: items already done when the watch began, so a rerun's rate counts only its own. */
export function progressLine(g: GroupView, elapsedMs: number, doneBefore = 0): string {
  const c = g.counts;
  const rate = elapsedMs > 0 ? (Math.max(0, g.done - doneBefore) / elapsedMs) * 1000 : 0;
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
  let doneBefore: number | undefined;
  for (;;) {
    const g = await api.getGroup(id);
    doneBefore ??= g.done;
    const line = progressLine(g, Date.now() - started, doneBefore);
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
  group.command('ls').description('List groups').option('--mine', 'only groups you submitted').option('--user <name>', 'only groups this user submitted').option('--json', 'print JSON')
    .action(async (o: { json?: boolean; mine?: boolean; user?: string }) => {
      const page = await clientFrom(globals()).listGroups({ ...(o.mine ? { mine: true } : {}), ...(o.user ? { user: o.user } : {}) });
      if (printJson(page, o)) return;
      process.stdout.write(table(page.items.map((g) => [g.id, g.name, g.status, `${g.done}/${g.total}`, String(g.counts.failed), g.createdBy ?? '-']),
        ['GROUP', 'NAME', 'STATUS', 'DONE', 'FAILED', 'USER']) + '\n');
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
  group.command('cancel').argument('<id>').description('Cancel every item not yet ended, and wait until they have stopped')
    .option('--timeout <seconds>', 'wait at most this long for running items to stop', (v) => Number(v), 60)
    .action(async (id: string, o: { timeout: number }) => {
      const api = clientFrom(globals());
      let g = await api.cancelGroup(id);
      // Running items take their stop grace to end: report the group as it is once they have.
      const deadline = Date.now() + o.timeout * 1000;
      while (g.status === 'running' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        g = await api.getGroup(id);
      }
      const c = g.counts;
      process.stdout.write(`${g.id} ${g.status === 'running' ? 'canceling' : g.status}  (canceled ${c.canceled}, succeeded ${c.succeeded}, failed ${c.failed}${c.running ? `, still stopping ${c.running}` : ''})\n`);
    });
  const requeue = [
    ['rerun', false, 'Rerun only the items that failed (a new attempt each, same group)'],
    ['resume', true, 'Queue again every item that did not succeed: canceled (started or not), failed, timed out, lost; same group'],
  ] as const;
  for (const [name, resume, description] of requeue) {
    group
      .command(name)
      .argument('<id>')
      .option('--wait', 'show progress until the group ends; exit non-zero if an item failed')
      .description(description)
      .action(async (id: string, o: { wait?: boolean }) => {
        const api = clientFrom(globals());
        const g = resume ? await api.resumeGroup(id) : await api.rerunGroup(id);
        process.stdout.write(`${g.rerun} item(s) queued again\n`);
        if (o.wait) process.exitCode = groupExitCode(await watchGroup(api, id));
      });
  }
  group
    .command('logs')
    .argument('<id>')
    .requiredOption('--out <dir>', 'directory to write DIR/<item>/log into')
    .description("Download every item's log to DIR/<item>/log, each attempt after a line naming its node")
    .action(async (id: string, o: { out: string }) => {
      const { items, attempts } = await saveGroupLogs(clientFrom(globals()), id, o.out);
      process.stdout.write(`logs of ${items} item(s), ${attempts} attempt(s), saved to ${resolve(o.out)}/<item>/log\n`);
    });
}
