/**
 * A small, seeded request generator driven by the server's own OpenAPI document: every operation,
 * with path, query and body values that mostly fit the schema and often do not (wrong types, huge,
 * negative, deep, traversal, NUL, unicode). Every string it makes carries a canary, so a test can
 * look for anything written outside the data directory.
 */
import { stringify as toYaml } from 'yaml';

export interface FuzzRequest {
  method: string;
  /** Already encoded: sent as is. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** What it was made from, for the failure message. */
  label: string;
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  $ref?: string;
}

interface Operation {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

export class Fuzzer {
  private readonly pick = <T>(list: readonly T[]): T => list[Math.floor(this.random() * list.length)] as T;
  /** Ids the server handed out (runs, groups, sessions), used as path parameters now and then. */
  readonly knownIds: string[] = [];

  constructor(private readonly doc: OpenApiDoc, private readonly random: () => number, readonly canary: string, private readonly tokens: { admin: string }) {}

  private strings(): string[] {
    const c = this.canary;
    return [c, `../../${c}`, `/tmp/${c}`, `${c}\u0000x`, `${c}-\u00e9\u{1f600}`, 'x'.repeat(5000) + c, `%2e%2e%2f${c}`, `${c} && touch /tmp/${c}`,
      '30d', '1e308', '2147484', '-1', '', ' ', '${{ params.x }}', `upload:${'0'.repeat(64)}`, 'unix:///nonexistent.sock', `label=${c}`];
  }

  private hostile(): unknown {
    return this.pick([null, -1, 0, 1e308, -1e308, 2 ** 53 + 1, 3.5, true, '', [], {}, deep(40), deep(200), { __proto__: { polluted: this.canary } },
      JSON.parse('{"__proto__":{"polluted":1}}') as unknown, { constructor: { prototype: { polluted: 1 } } }, Array.from({ length: 2000 }, (_, i) => i), ...this.strings()]);
  }

  private resolve(s: Schema): Schema {
    if (!s.$ref) return s;
    const name = s.$ref.split('/').pop() ?? '';
    return this.doc.components?.schemas?.[name] ?? {};
  }

  value(schema: Schema | undefined, depth = 0): unknown {
    if (!schema || this.random() < 0.15 || depth > 6) return this.hostile();
    const s = this.resolve(schema);
    if (s.enum?.length) return this.pick(s.enum);
    const alts = s.anyOf ?? s.oneOf;
    if (alts?.length) return this.value(this.pick(alts), depth + 1);
    if (s.allOf?.length) return this.value(s.allOf[0], depth + 1);
    const type = Array.isArray(s.type) ? this.pick(s.type) : s.type;
    switch (type) {
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(s.properties ?? {})) {
          if (s.required?.includes(k) || this.random() < 0.4) out[k] = this.value(v, depth + 1);
        }
        if (this.random() < 0.1) out[`extra_${this.canary}`] = this.hostile();
        return out;
      }
      case 'array':
        return Array.from({ length: Math.floor(this.random() * 4) }, () => this.value(s.items, depth + 1));
      case 'integer':
      case 'number':
        return this.pick([0, 1, 2, 60, 2 ** 31, -5, s.minimum ?? 1, s.maximum ?? 10, 1e308]);
      case 'boolean':
        return this.random() < 0.5;
      case 'string':
        return this.pick(['x', 'a1', 'train', '10s', ...this.strings()]);
      default:
        return this.hostile();
    }
  }

  private pathParam(): string {
    const c = this.canary;
    const known = this.knownIds.length ? [this.pick(this.knownIds)] : [];
    return this.pick([...known, ...known, '0123456789abcdefghij', 'a'.repeat(1500), '..', '%2e%2e', `%2e%2e%2f%2e%2e%2f${c}`, `${c}%00`, encodeURIComponent(`${c}\u{1f600}`), `a%2Fb`, `%ZZ`, c, '']);
  }

  private auth(): Record<string, string> {
    const r = this.random();
    if (r < 0.85) return { authorization: `Bearer ${this.tokens.admin}` };
    if (r < 0.9) return {};
    if (r < 0.95) return { authorization: `Bearer rrt_${'a'.repeat(20)}_1_${'A'.repeat(43)}` };
    return { authorization: this.pick(['Bearer ', 'Basic %%%', `Basic ${Buffer.from(`:${this.canary}`).toString('base64')}`, 'x'.repeat(8000)]) };
  }

  private encode(body: unknown): { headers: Record<string, string>; body?: string | Uint8Array } {
    const r = this.random();
    if (r < 0.7) return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) ?? 'null' };
    if (r < 0.8) return { headers: { 'content-type': 'application/yaml' }, body: toYaml(body ?? null, { aliasDuplicateObjects: false }) };
    if (r < 0.87) return { headers: { 'content-type': 'application/json' }, body: this.pick(['{', '[1,', '{"a":1,"a":2}', '\u0000', '{"command":"true"}'.repeat(3)]) };
    if (r < 0.94) {
      return {
        headers: { 'content-type': this.pick(['text/plain', 'application/gzip', 'application/x-tar', 'multipart/form-data; boundary=zz', 'application/x-www-form-urlencoded']) },
        body: Uint8Array.from({ length: 64 + Math.floor(this.random() * 2000) }, () => Math.floor(this.random() * 256)),
      };
    }
    return { headers: {} };
  }

  /** One request for a random operation of the document. */
  next(): FuzzRequest {
    const ops = Object.entries(this.doc.paths).flatMap(([p, m]) => Object.entries(m).map(([method, op]) => ({ p, method, op })));
    const { p, method, op } = this.pick(ops);
    let path = p.replace(/\{\*\}/g, () => this.pick(['x', 'a/b.txt', `..%2F..%2F${this.canary}`, '%2Fetc%2Fpasswd', 'x'.repeat(3000)]))
      .replace(/\{[^}]+\}/g, () => this.pathParam());
    const query = (op.parameters ?? []).filter((x) => x.in === 'query' && this.random() < 0.5)
      .map((x) => `${encodeURIComponent(x.name)}=${encodeURIComponent(String(this.value(x.schema) ?? ''))}`);
    if (this.random() < 0.05) query.push(`unknown_${this.canary}=1`);
    if (query.length) path += `?${query.join('&')}`;
    const schema = op.requestBody?.content['application/json']?.schema;
    const enc = op.requestBody || this.random() < 0.1 ? this.encode(this.value(schema)) : { headers: {} };
    return { method: method.toUpperCase(), path, headers: { ...this.auth(), ...enc.headers }, ...(enc.body !== undefined ? { body: enc.body } : {}), label: `${method.toUpperCase()} ${p}` };
  }
}

/** The hostile inputs of the hardening issue, sent as they were found, before the generated ones. */
export function fixedSeeds(token: string, canary: string): FuzzRequest[] {
  const auth = { authorization: `Bearer ${token}` };
  const json = (method: string, path: string, body: unknown): FuzzRequest => ({ method, path, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body), label: `seed ${method} ${path}` });
  const yaml = (method: string, path: string, body: string): FuzzRequest => ({ method, path, headers: { ...auth, 'content-type': 'application/yaml' }, body, label: `seed yaml ${method} ${path}` });
  const deepYaml = `${'- '.repeat(70_000)}x`;
  const manyKeys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`).join('\n');
  const long = 'a'.repeat(1200);
  const form = Array.from({ length: 2000 }, (_, i) => `--zz\r\ncontent-disposition: form-data; name="f${i}"\r\n\r\nx\r\n`).join('') + '--zz--\r\n';
  return [
    ...['25d', '30d', 2147484, 1e308].map((timeout) => json('POST', '/api/v1/runs', { command: 'true', timeout })),
    ...[['POST', '/api/v1/runs'], ['PUT', '/api/v1/queues/q'], ['POST', '/api/v1/nodes'], ['DELETE', '/api/v1/nodes/x'], ['DELETE', '/api/v1/datasets/x']].map(([m, p]) => yaml(m ?? '', p ?? '', deepYaml)),
    yaml('POST', '/api/v1/runs', manyKeys),
    { ...json('POST', '/api/v1/runs', {}), body: `{"command":"true","params":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, label: 'seed deep JSON' },
    { method: 'GET', path: '//', headers: {}, label: 'seed //' },
    { method: 'GET', path: `//${canary}`, headers: auth, label: 'seed //x' },
    ...['/api/v1/runs/', '/api/v1/groups/', '/api/v1/templates/', '/api/v1/runs/x/logs?id=', '/api/v1/queues/'].map((p): FuzzRequest => ({ method: 'GET', path: `${p}${long}`, headers: auth, label: `seed long ${p}` })),
    { method: 'POST', path: '/api/v1/templates/t', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=zz' }, body: form, label: 'seed 2000-part multipart' },
    { method: 'GET', path: `/runs/../${canary}`, headers: auth, label: 'seed proxy ..' },
    { method: 'GET', path: `/runs/aaaaaaaaaaaaaaaaaaaa/proxy/80/../../../${canary}`, headers: auth, label: 'seed proxy ../' },
    json('POST', '/api/v1/runs', { command: 'true', matrix: { a: Array.from({ length: 150 }, (_, i) => i), b: Array.from({ length: 134 }, (_, i) => i) } }),
    // Past a 32-bit integer column: PostgreSQL refuses what SQLite stores (500s seen only there).
    json('PUT', '/api/v1/queues/q', { concurrency: 2 ** 31 }),
    json('POST', '/api/v1/runs', { command: 'true', matrix: { a: [1, 2] }, max_parallel: 2 ** 31 }),
    ...['/api/v1/templates/t?version=', '/api/v1/templates/t/files?version=', '/api/v1/runs/aaaaaaaaaaaaaaaaaaaa/logs?attempt=', '/api/v1/runs/aaaaaaaaaaaaaaaaaaaa/metrics?attempt=']
      .map((p): FuzzRequest => ({ method: 'GET', path: `${p}${2 ** 31}`, headers: auth, label: `seed 2^31 ${p}` })),
    // A NUL character in a text: PostgreSQL's text cannot hold it (500s seen only there).
    ...['/api/v1/runs?name=a%00b', '/api/v1/runs?q=%00', '/api/v1/runs?label=k%3Dv%00', '/api/v1/runs?user=a%00', '/api/v1/groups?user=a%00', '/api/v1/templates/a%00b']
      .map((p): FuzzRequest => ({ method: 'GET', path: p, headers: auth, label: `seed NUL ${p}` })),
    json('POST', '/api/v1/runs', { command: 'true', name: 'a\u0000b', labels: { 'k\u0000': 'v' } }),
    json('PUT', '/api/v1/queues/a%00b', { concurrency: 1 }),
  ];
}
