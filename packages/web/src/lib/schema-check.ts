/**
 * Checks one form field against the job spec's JSON Schema (as served by the API), so the run form
 * says what is wrong before it submits. The server validates the merged spec again and has the last word.
 */

export interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  enum?: unknown[];
  description?: string;
}

/** The schema of a dotted path (`resources.cpus`), if the schema describes it. */
export function schemaAt(root: SchemaNode | undefined, path: string): SchemaNode | undefined {
  let node = root;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node;
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

export function checkValue(node: SchemaNode | undefined, value: unknown): string | undefined {
  if (!node) return undefined;
  const types = node.type === undefined ? [] : [node.type].flat();
  const t = typeOf(value);
  if (types.length && !types.includes(t) && !(t === 'integer' && types.includes('number'))) return `expected ${types.join(' or ')}`;
  if (node.enum && !node.enum.includes(value)) return `expected one of ${node.enum.join(', ')}`;
  if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) return `at least ${node.minimum}`;
    if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum) return `more than ${node.exclusiveMinimum}`;
    if (node.maximum !== undefined && value > node.maximum) return `at most ${node.maximum}`;
  }
  if (typeof value === 'string' && node.pattern && !new RegExp(node.pattern).test(value)) return `does not match ${node.pattern}`;
  return undefined;
}

/** Reads a form input as the type the schema (or a param's default) wants: numbers stay numbers. */
export function readInput(raw: string, want: SchemaNode | undefined, example?: unknown): unknown {
  const types = want?.type === undefined ? [] : [want.type].flat();
  const numeric = typeof example === 'number' || (types.length > 0 && types.every((t) => t === 'number' || t === 'integer'))
    || ((types.includes('number') || types.includes('integer')) && /^-?\d+(\.\d+)?$/.test(raw.trim()));
  if (numeric && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
  if (typeof example === 'boolean') return raw === 'true';
  if (example !== undefined && typeof example === 'object') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Sets a dotted path in a nested object, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    if (!next || typeof next !== 'object' || Array.isArray(next)) obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1] ?? ''] = value;
}
