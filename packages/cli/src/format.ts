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
