/** Terminal output: tables, durations, statuses. */
import { formatBytes, formatDuration } from '@regatta/core/basics';

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  return `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

export function span(start: string | undefined, end: string | undefined, now = Date.now()): string {
  if (!start) return '-';
  return formatDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

export { formatBytes };

/** CPU counts summed from fractions (0.1 + 0.2) print as people write them: 1.2, not 1.2000000000000002. */
export function formatCpus(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** `--json` on a listing: the API's answer as is, for scripts. Returns whether it printed. */
export function printJson(value: unknown, o: { json?: boolean }): boolean {
  if (o.json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  return o.json === true;
}
