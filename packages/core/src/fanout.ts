/**
 * Fan-out: a spec with `matrix:` or `foreach:` is a group of runs, one per item, each item's values
 * set in its params. Expansion is pure; the files of `foreach.files` are listed by the caller.
 */
import { z } from 'zod';
import { SpecError, type FieldIssue } from './errors.js';

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const matrixSchema = z
  .record(z.string(), z.array(z.json()).min(1))
  .describe('Named lists of values; one run per combination. `include` adds combinations (objects), `exclude` removes those matching');

export const foreachSchema = z
  .strictObject({
    param: z.string().regex(PARAM_NAME, 'param names are identifiers'),
    values: z.array(z.json()).min(1).optional().describe('One run per value'),
    files: z.string().min(1).optional().describe('One run per file matching this glob, relative to the dataset, the template files or the workdir'),
    dataset: z.string().optional().describe('The dataset the files glob is relative to (the values are then paths inside it)'),
  })
  .describe('One run per value or per file, the item set in params[param]');

export interface FanoutSpec {
  matrix?: Record<string, unknown[]>;
  // As the spec schema parses it (each optional key may be present with undefined).
  foreach?: { param: string; values?: unknown[] | undefined; files?: string | undefined; dataset?: string | undefined };
}

export interface Item {
  params: Record<string, unknown>;
  /** A name for the item, unique in its group, safe as a directory name. */
  key: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function safeKey(raw: string): string {
  const k = raw.replace(/[^A-Za-z0-9._=,/-]/g, '_').split('/').filter((p) => p && p !== '.' && p !== '..').join('/');
  return k.slice(0, 200) || 'item';
}

/** The most items one fan-out may expand to unless the server is configured otherwise (`limits.fanoutItems`). */
export const DEFAULT_MAX_FANOUT_ITEMS = 100_000;

const tooMany = (path: string, n: number, max: number): FieldIssue => ({
  path, message: `expands to ${n > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : n} items; at most ${max} per fan-out (the server's limits.fanoutItems)`,
});

function matrixItems(matrix: Record<string, unknown[]>, issues: FieldIssue[], maxItems: number): Record<string, unknown>[] {
  const { include = [], exclude = [], ...axes } = matrix;
  // Counted before anything is built: a small matrix can name billions of combinations.
  const size = Object.values(axes).reduce((n, values) => n * values.length, Object.keys(axes).length ? 1 : 0) + include.length;
  if (size > maxItems) {
    issues.push(tooMany('matrix', size, maxItems));
    return [];
  }
  for (const [name, list] of Object.entries({ include, exclude })) {
    list.forEach((v, i) => { if (!isObject(v)) issues.push({ path: `matrix.${name}[${i}]`, message: 'expected an object of param values' }); });
  }
  for (const name of Object.keys(axes)) if (!PARAM_NAME.test(name)) issues.push({ path: `matrix.${name}`, message: 'param names are identifiers' });
  let combos: Record<string, unknown>[] = [{}];
  for (const [name, values] of Object.entries(axes)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  if (!Object.keys(axes).length) combos = [];
  const matches = (c: Record<string, unknown>, pattern: Record<string, unknown>) =>
    Object.entries(pattern).every(([k, v]) => JSON.stringify(c[k]) === JSON.stringify(v));
  combos = combos.filter((c) => !exclude.some((e) => isObject(e) && matches(c, e)));
  for (const inc of include) if (isObject(inc)) combos.push(inc);
  return combos;
}

/**
 * The items of a fan-out spec, each with a key for its outputs. `files` are the matches of
 * `foreach.files`, listed by the caller (sorted).
 */
export function expandItems(f: FanoutSpec, files: readonly string[] = [], maxItems = DEFAULT_MAX_FANOUT_ITEMS): Item[] {
  const issues: FieldIssue[] = [];
  let params: Record<string, unknown>[] = [];
  let keyOf: (p: Record<string, unknown>) => string;
  const matrixKey = (p: Record<string, unknown>, axes: readonly string[]) => axes.filter((k) => k in p).map((k) => `${k}=${text(p[k])}`).join(',');
  let foreachParams: Record<string, unknown>[] | undefined;
  if (f.foreach) {
    const fe = f.foreach;
    if ((fe.values === undefined) === (fe.files === undefined)) issues.push({ path: 'foreach', message: 'give exactly one of values or files' });
    const values = fe.values ?? files;
    if (values.length > maxItems) issues.push(tooMany(fe.files !== undefined ? 'foreach.files' : 'foreach.values', values.length, maxItems));
    else foreachParams = values.map((v) => ({ [fe.param]: v }));
  }
  if (f.matrix && f.foreach && foreachParams) {
    // matrix × foreach: every combination for every value (seed 004's eval groups × scenes), keyed
    // `<combination>/<value>` so each combination's items share a directory.
    const fe = f.foreach;
    const each = foreachParams;
    // The product is counted before it is built, as the matrix alone is.
    const combos = matrixItems(f.matrix, issues, Math.floor(maxItems / Math.max(1, each.length)));
    if (combos.some((c) => fe.param in c)) issues.push({ path: 'foreach.param', message: `'${fe.param}' is also a matrix param: give them different names` });
    params = combos.flatMap((c) => each.map((v) => ({ ...c, ...v })));
    keyOf = (p) => `${matrixKey(p, Object.keys(p).filter((k) => k !== fe.param))}/${text(p[fe.param])}`;
  } else if (f.matrix) {
    params = matrixItems(f.matrix, issues, maxItems);
    keyOf = (p) => matrixKey(p, Object.keys(p));
  } else if (f.foreach && foreachParams) {
    const fe = f.foreach;
    params = foreachParams;
    keyOf = (p) => text(p[fe.param]);
  } else {
    keyOf = () => 'item';
  }
  if (!issues.length && !params.length) issues.push({ path: f.matrix ? 'matrix' : 'foreach', message: f.foreach?.files ? `no file matches '${f.foreach.files}'` : 'expands to no items' });
  if (issues.length) throw new SpecError(`invalid fan-out: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  const seen = new Map<string, number>();
  return params.map((p) => {
    let key = safeKey(keyOf(p));
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (n) key = `${key}-${n}`;
    return { params: p, key };
  });
}
