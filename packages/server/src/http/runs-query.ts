/**
 * The runs list's sort, filter and column parameters, parsed into the store's terms with errors that
 * name the parameter and say what is expected:
 *   sort=-metrics.loss.min          (leading '-': descending; built-ins: created, name, status, queue, started, finished, duration)
 *   filter=params.lr>=0.01          (repeatable; operators = != < <= > >= ~ (contains); a bare field: the run has it)
 *   fields=params.lr,metrics.loss.last
 */
import { RegattaError } from '@regatta/core';
import type { FieldCondition, RunSort, RunSortKey } from '@regatta/store';

const BUILT_IN = ['created', 'name', 'status', 'queue', 'started', 'finished', 'duration'] as const;
/** params.* and result.* any path; metrics.<name>.last|min|max|count. */
const FIELD = /^(?:(?:params|result)\.[^\s]{1,300}|metrics\.[^\s]{1,200}\.(?:last|min|max|count))$/;
const OPS = ['>=', '<=', '!=', '=', '<', '>', '~'] as const;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

const bad = (path: string, message: string, detail: string) =>
  new RegattaError('invalid_request', detail, { issues: [{ path, message }] });

export function isField(name: string): boolean {
  return FIELD.test(name);
}

function checkField(path: string, name: string): string {
  if (!FIELD.test(name)) {
    throw bad(path, 'expected params.<path>, result.<path> or metrics.<name>.last|min|max|count', `'${name}' is not a field: use params.<path>, result.<path> or metrics.<name>.last, .min, .max or .count`);
  }
  return name;
}

export function parseSort(text: string | undefined): RunSort | undefined {
  if (!text) return undefined;
  const desc = text.startsWith('-');
  const name = desc ? text.slice(1) : text;
  const order = desc ? 'desc' : 'asc';
  if ((BUILT_IN as readonly string[]).includes(name)) return { key: name as Exclude<RunSortKey, { field: string }>, order };
  if (!FIELD.test(name)) {
    throw bad('query.sort', `expected one of ${BUILT_IN.join(', ')} or a field (params.<path>, result.<path>, metrics.<name>.last|min|max|count), '-' first for descending`,
      `cannot sort by '${name}'`);
  }
  return { key: { field: name }, order };
}

export function parseFilters(input: string | string[] | undefined): FieldCondition[] {
  return [input ?? []].flat().filter((t) => t.trim()).map((text, i) => {
    const path = `query.filter${Array.isArray(input) ? `[${i}]` : ''}`;
    const t = text.trim();
    let at = -1;
    let op: (typeof OPS)[number] | undefined;
    for (const o of OPS) {
      const k = t.indexOf(o);
      if (k > 0 && (at < 0 || k < at || (k === at && o.length > (op?.length ?? 0)))) {
        at = k;
        op = o;
      }
    }
    if (!op) return { field: checkField(path, t), op: 'has' };
    const field = checkField(path, t.slice(0, at).trim());
    const raw = t.slice(at + op.length).trim();
    if (!raw) throw bad(path, 'expected a value after the operator', `filter '${t}' has no value`);
    const value = op !== '~' && NUMBER.test(raw) ? Number(raw) : raw;
    return { field, op, value };
  });
}

export function parseFields(text: string | undefined): string[] {
  if (!text) return [];
  const names = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.length > 50) throw bad('query.fields', 'at most 50 fields', `asked for ${names.length} fields`);
  return names.map((n) => checkField('query.fields', n));
}
