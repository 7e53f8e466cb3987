/** `regatta metrics ID`: a run's metric series, each point with the attempt that reported it. */
import type { Command } from 'commander';
import { clientFrom, type GlobalOptions } from '../context.js';
import { printJson, table } from '../format.js';
import { resolveRunId } from '../ids.js';

export function metricsCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('metrics')
    .description('Metric series of a run, point by point, with the attempt each point belongs to')
    .argument('<id>', 'run id (or a unique start of one)')
    .option('--name <name>', 'only this metric, e.g. loss')
    .option('--attempt <n>', 'only this attempt', (v) => Number(v))
    .option('--csv', 'print CSV (name,step,value,attempt,ts)')
    .option('--json', 'print JSON')
    .action(async (typed: string, o: { name?: string; attempt?: number; csv?: boolean; json?: boolean }) => {
      const api = clientFrom(globals());
      const id = await resolveRunId(api, typed);
      const { items } = await api.metrics(id, o.name);
      const points = o.attempt === undefined ? items : items.filter((p) => p.attempt === o.attempt);
      if (printJson({ items: points }, o)) return;
      const rows = points.map((p) => [p.name, p.step === undefined ? '' : String(p.step), String(p.value), String(p.attempt), p.ts]);
      if (o.csv) {
        process.stdout.write(['name,step,value,attempt,ts', ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n');
        return;
      }
      if (!rows.length) {
        process.stderr.write(`regatta: run ${id} has no metric points${o.name ? ` named ${o.name}` : ''}\n`);
        return;
      }
      process.stdout.write(table(rows.map((r) => r.map((c, i) => (i === 1 && c === '' ? '-' : c))), ['NAME', 'STEP', 'VALUE', 'ATTEMPT', 'TIME']) + '\n');
    });
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
