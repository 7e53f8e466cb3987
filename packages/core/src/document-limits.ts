/**
 * Limits on parsed documents (YAML and JSON bodies, spec files), so a small hostile body can neither
 * exhaust the stack (deep nesting: the YAML composer and zod recurse) nor freeze the event loop
 * (the YAML library's duplicate-key check is quadratic in a mapping's size).
 */
import { isMap, isScalar, parseDocument, type Node as YamlNode } from 'yaml';
import { SpecError } from './errors.js';

/** Deepest nesting of mappings and lists a document may have. */
export const MAX_DOCUMENT_DEPTH = 64;
/** Most mapping entries and list items, all levels together. */
export const MAX_DOCUMENT_NODES = 200_000;
/** Text nesting (indentation columns plus open brackets) refused before the YAML parser recurses. */
const MAX_TEXT_NESTING = 200;

function tooDeep(source: string, why: string): SpecError {
  return new SpecError(`${source} is nested too deeply: ${why}`, [{ path: '', message: `nesting deeper than ${MAX_DOCUMENT_DEPTH} levels is not accepted` }]);
}

/**
 * A linear pre-scan of YAML text: the column where each line's content starts (after indentation
 * and `- `, `? `, `: ` indicators) plus the open flow brackets bounds the parser's recursion. Quotes
 * are followed roughly; an error here only over-counts, which refuses sooner.
 */
function scanYamlNesting(text: string, source: string): void {
  let flow = 0;
  let quote = '';
  let lineStart = true;
  let column = 0;
  let prev = '\n';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\n') {
      lineStart = true;
      column = 0;
      if (quote === '') prev = c;
      continue;
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) {
        quote = '';
        prev = c;
      }
      continue;
    }
    if (lineStart) {
      if (c === ' ' || c === '\t' || ((c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === '\t'))) {
        column++;
        if (column + flow > MAX_TEXT_NESTING) throw tooDeep(source, `line indentation over ${MAX_TEXT_NESTING} columns`);
        continue;
      }
      lineStart = false;
    }
    if (c === '#' && (prev === ' ' || prev === '\t' || prev === '\n')) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
      continue;
    }
    if ((c === '"' || c === "'") && /[\s:[{,\-?]/.test(prev)) quote = c;
    else if (c === '[' || c === '{') {
      flow++;
      if (column + flow > MAX_TEXT_NESTING) throw tooDeep(source, `more than ${MAX_TEXT_NESTING} open brackets`);
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
    prev = c;
  }
}

/** Mapping keys must be unique; checked with a set per mapping (the library's own check is quadratic). */
function checkUniqueKeys(root: YamlNode | null, source: string): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) throw new SpecError(`${source} is not valid YAML or JSON: duplicate key '${key}'`, [{ path: key, message: 'map keys must be unique' }]);
          seen.add(key);
        }
        stack.push(pair.value);
      }
    } else if (node && typeof node === 'object' && 'items' in node && Array.isArray(node.items)) {
      for (const item of node.items as unknown[]) stack.push(item);
    }
  }
}

/** Why a string is refused: PostgreSQL's text cannot hold it (SQLite's can, so it is refused on both). */
export const NUL_MESSAGE = 'must not contain the NUL character (\\u0000)';

const pathOf = (parent: string, key: string | number) => (typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

/**
 * The path of the first string or key that holds a NUL character, '' for the value itself, or
 * undefined when there is none. Iterative; meant for values already within the document limits.
 */
export function findNulChar(value: unknown): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length) {
    const { v, path } = stack.pop() ?? { v: undefined, path: '' };
    if (typeof v === 'string') {
      if (v.includes('\0')) return path;
    } else if (Array.isArray(v)) {
      v.forEach((c, i) => stack.push({ v: c, path: pathOf(path, i) }));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, c] of Object.entries(v)) {
        if (k.includes('\0')) return pathOf(path, k);
        stack.push({ v: c, path: pathOf(path, k) });
      }
    }
  }
  return undefined;
}

/**
 * Throws when a parsed value nests deeper or holds more entries than the limits, or holds a NUL
 * character in a string or key; iterative, so it cannot overflow.
 */
export function checkDocumentShape(value: unknown, source = 'document'): void {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  let nodes = 0;
  let hasNul = false;
  while (stack.length) {
    const { v, depth } = stack.pop() ?? { v: undefined, depth: 0 };
    if (typeof v === 'string') hasNul ||= v.includes('\0');
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DOCUMENT_DEPTH) throw tooDeep(source, `more than ${MAX_DOCUMENT_DEPTH} levels`);
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
    if (!Array.isArray(v)) hasNul ||= Object.keys(v).some((k) => k.includes('\0'));
    nodes += children.length;
    if (nodes > MAX_DOCUMENT_NODES) {
      throw new SpecError(`${source} is too large: more than ${MAX_DOCUMENT_NODES} keys and list items`, [{ path: '', message: `at most ${MAX_DOCUMENT_NODES} keys and list items` }]);
    }
    for (const c of children) stack.push({ v: c, depth: depth + 1 });
  }
  // Found in the same walk; only then is it walked again, to name where.
  const nul = hasNul ? findNulChar(value) : undefined;
  if (nul !== undefined) throw new SpecError(`${source}: ${nul || '(root)'} ${NUL_MESSAGE}`, [{ path: nul, message: NUL_MESSAGE }]);
}

/** Parses YAML (or JSON, a subset) within the limits above; errors are SpecErrors naming `source`. */
export function parseYamlLimited(text: string, source: string): unknown {
  scanYamlNesting(text, source);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  const first = doc.errors[0];
  if (first) {
    const msg = first.message.split('\n')[0] ?? first.message;
    throw new SpecError(`${source} is not valid YAML or JSON: ${msg}`, [{ path: '', message: msg }]);
  }
  checkUniqueKeys(doc.contents, source);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new SpecError(`${source} is not valid YAML or JSON: ${(e as Error).message}`, [{ path: '', message: (e as Error).message }]);
  }
  checkDocumentShape(value, source);
  return value;
}
