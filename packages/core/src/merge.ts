/**
 * Overrides onto a template: objects merge key by key, arrays and scalars replace, and `null`
 * deletes a key (how a run removes a field, or a whole service, from what the template says).
 */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function mergeOverrides(base: unknown, overrides: unknown): unknown {
  if (overrides === undefined) return base;
  if (!isObject(overrides) || !isObject(base)) return overrides;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (FORBIDDEN.has(k)) continue;
    if (v === null) delete out[k];
    else out[k] = mergeOverrides(out[k], v);
  }
  return out;
}
