/** Small formatting helpers shared by the pages. */

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long a run took, or has been running. */
export function runDuration(r: { startedAt?: string; finishedAt?: string }, now = Date.now()): string {
  if (!r.startedAt) return '—';
  const end = r.finishedAt ? Date.parse(r.finishedAt) : now;
  return formatDuration(end - Date.parse(r.startedAt));
}

const TIME = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const TIME_YEAR = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** A point in time, always with its date ("Dec 1, 14:57:03"; the year when it is not this one). */
export function formatTime(iso: string | undefined, now = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return (d.getFullYear() === now.getFullYear() ? TIME : TIME_YEAR).format(d);
}

const NUM = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });
const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** One format for every number the UI shows: integers whole, others to 4 significant digits, tiny and huge ones in exponent form. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return INT.format(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return NUM.format(v);
}

/** A table cell's text: numbers formatted, objects as JSON, nothing for null. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** Flattens nested objects into dotted paths (arrays stay whole, as JSON), for diffs and tables. */
export function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length && prefix) out[prefix] = '{}';
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/** Rows of a side-by-side comparison: every path of any object, with whether the values differ. */
export function compareFlat(objects: readonly unknown[]): { path: string; values: (string | undefined)[]; differs: boolean }[] {
  const flats = objects.map((o) => flatten(o));
  const paths = [...new Set(flats.flatMap((f) => Object.keys(f)))].sort();
  return paths.map((path) => {
    const values = flats.map((f) => f[path]);
    return { path, values, differs: values.some((v) => v !== values[0]) };
  });
}

/** Shell-quotes a word for a POSIX shell. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The CLI command that submits the same run again. */
export function cliCommand(run: { id: string; spec: Record<string, unknown>; template?: { name: string; version: number } }, specYaml: string): string {
  if (run.template) {
    const params = run.spec.params && typeof run.spec.params === 'object' ? (run.spec.params as Record<string, unknown>) : {};
    const sets = Object.entries(params).map(([k, v]) => ` --set ${shellQuote(`params.${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)}`).join('');
    return `regatta template run ${shellQuote(run.template.name)} --at ${run.template.version}${sets} --follow`;
  }
  return `regatta run --follow -f - <<'EOF'\n${specYaml.trimEnd()}\nEOF`;
}
