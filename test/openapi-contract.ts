/**
 * Checks real answers against /api/openapi.json: the status must be declared for the route, the
 * media type too, and a JSON body must match the declared schema (JSON Schema 2020-12, with ajv).
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

interface MediaType { schema?: Record<string, unknown> }
interface Operation { responses?: Record<string, { content?: Record<string, MediaType> }> }
export interface ContractDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const COMPONENTS_ID = 'urn:regatta:components';
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

export interface Answer { method: string; path: string; status: number; contentType: string; text: string }

export class Contract {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; re: RegExp; params: number }[] = [];
  /** `METHOD template` of every operation answered, with the statuses seen. */
  readonly seen = new Map<string, Set<number>>();

  constructor(private readonly doc: ContractDoc) {
    this.ajv.addFormat('date-time', (s: string) => ISO_TIME.test(s) && !Number.isNaN(Date.parse(s)));
    this.ajv.addSchema({ $id: COMPONENTS_ID, components: doc.components ?? {} });
    for (const [template, ops] of Object.entries(doc.paths)) {
      const parts = template.split('/').map((seg) => (seg === '{*}' ? '.*' : /^\{.+\}$/.test(seg) ? '[^/]+' : seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&')));
      for (const method of Object.keys(ops)) {
        this.routes.push({ method: method.toUpperCase(), template, re: new RegExp(`^${parts.join('/')}$`), params: (template.match(/\{/g) ?? []).length });
      }
    }
  }

  /** Every operation of the document, as `METHOD template`. */
  operations(): string[] {
    return this.routes.map((r) => `${r.method} ${r.template}`);
  }

  /** The route template a request matched: the one with the fewest parameters (a literal segment wins). */
  route(method: string, path: string): string | undefined {
    const m = this.routes.filter((r) => r.method === method && r.re.test(path)).sort((a, b) => a.params - b.params)[0];
    return m?.template;
  }

  /** What is wrong with an answer, or [] when the document describes it. */
  check(a: Answer): string[] {
    const template = this.route(a.method, a.path);
    const what = `${a.method} ${a.path} → ${a.status}`;
    if (!template) return [`${what}: no operation in the document`];
    const key = `${a.method} ${template}`;
    this.seen.set(key, (this.seen.get(key) ?? new Set()).add(a.status));
    const responses = this.doc.paths[template]?.[a.method.toLowerCase()]?.responses;
    // `default` stands for what a route passes through (the proxy: the app's own answers).
    const response = responses?.[String(a.status)] ?? responses?.default;
    if (!response) return [`${what}: ${key} declares no response ${a.status}`];
    const type = a.contentType.split(';')[0]?.trim() ?? '';
    if (!response.content) return a.text === '' ? [] : [`${what}: declared without a body, but answered ${a.text.length} bytes`];
    const media = response.content[type] ?? response.content['*/*'];
    if (!media) return [`${what}: answered ${type || '(no type)'}, declared ${Object.keys(response.content).join(', ')}`];
    if (!/json/.test(type) || !response.content[type]) return [];
    const validate = this.validator(`${key} ${a.status} ${type}`, media.schema ?? {});
    let body: unknown;
    try {
      body = JSON.parse(a.text);
    } catch {
      return [`${what}: the body is not JSON`];
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${what}: ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  /** Validates a value against a schema of the document's components (for bodies inside streams). */
  checkComponent(name: string, value: unknown): string[] {
    const validate = this.validator(`component ${name}`, { $ref: `#/components/schemas/${name}` });
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${name}: ${e.instancePath} ${e.message ?? ''}`);
  }

  private validator(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = this.compiled.get(key);
    if (!v) {
      const rooted = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${COMPONENTS_ID}#/components/`)) as Record<string, unknown>;
      v = this.ajv.compile(rooted);
      this.compiled.set(key, v);
    }
    return v;
  }
}
