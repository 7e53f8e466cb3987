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

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString();
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
