/** Parsers for the human units a job spec accepts: memory sizes and durations. */

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** `4Gi` → 4294967296, `512M` → 512000000, `1024` → 1024 (bytes). Undefined when unparseable. */
export function parseMemory(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration a spec may give (a timeout, a delay): longer is a mistake, not a plan. */
export const MAX_DURATION_MS = 366 * 86_400_000;
export const MAX_DURATION_MESSAGE = 'at most 366 days (366d)';
/** True when the value is not a duration at all (another check says so) or one within MAX_DURATION_MS. */
export const withinMaxDuration = (value: string | number): boolean => (parseDuration(value) ?? 0) <= MAX_DURATION_MS;

/** `2h`, `1h30m`, `90s`, `250ms` → milliseconds; a bare number means seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value * 1000) && value >= 0 ? Math.round(value * 1000) : undefined;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number.isFinite(Number(s) * 1000) ? Math.round(Number(s) * 1000) : undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
    consumed = re.lastIndex;
  }
  return consumed === s.length && consumed > 0 && Number.isFinite(total) ? Math.round(total) : undefined;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
