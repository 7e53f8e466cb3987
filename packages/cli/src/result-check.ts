/**
 * Conditions on a run's result for CI (`--require 'evaluations.passed==true'`): a dotted path into
 * the result JSON, an operator, and a JSON value (or a bare string). A failed condition makes the
 * command exit non-zero, so one CLI call can gate a pipeline on a benchmark.
 */
import { RegattaError } from '@regatta/core/basics';

const OPS = ['==', '!=', '>=', '<=', '>', '<'] as const;
type Op = (typeof OPS)[number];

export interface ResultCheck {
  text: string;
  path: string[];
  op: Op;
  value: unknown;
}

export function parseCheck(text: string): ResultCheck {
  const m = /^\s*([A-Za-z0-9_.[\]-]+?)\s*(==|!=|>=|<=|>|<)\s*(.*?)\s*$/.exec(text);
  if (!m?.[1] || !m[2]) {
    throw new RegattaError('invalid_request', `--require '${text}': expected PATH OP VALUE, e.g. evaluations.passed==true or accuracy>=0.9 (OP is one of ${OPS.join(' ')})`);
  }
  const raw = m[3] ?? '';
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare word compares as a string
  }
  const path = m[1].replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  return { text, path, op: m[2] as Op, value };
}

function at(result: unknown, path: readonly string[]): unknown {
  let cur = result;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Why the check fails on `result`, or undefined when it holds. */
export function failedCheck(check: ResultCheck, result: unknown): string | undefined {
  const actual = at(result, check.path);
  if (actual === undefined) return `${check.text}: the result has no ${check.path.join('.')}`;
  const same = JSON.stringify(actual) === JSON.stringify(check.value);
  let ok: boolean;
  switch (check.op) {
    case '==': ok = same; break;
    case '!=': ok = !same; break;
    default: {
      if (typeof actual !== 'number' || typeof check.value !== 'number') return `${check.text}: ${check.op} compares numbers, got ${JSON.stringify(actual)}`;
      ok = check.op === '>=' ? actual >= check.value : check.op === '<=' ? actual <= check.value : check.op === '>' ? actual > check.value : actual < check.value;
    }
  }
  return ok ? undefined : `${check.text}: got ${JSON.stringify(actual)}`;
}
