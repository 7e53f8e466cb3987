/**
 * Typed client of Regatta's REST API, shared by the CLI and the web UI.
 *
 * @example
 * const api = new RegattaClient({ url: 'http://127.0.0.1:8080', token: process.env.REGATTA_TOKEN });
 * const { id } = await api.submit({ name: 'hello', command: 'echo hi' });
 * const run = await api.waitForRun(id);
 */

import { UsersApi } from './users.js';
import type {
  ArtifactList, BulkCancel, DatasetList, Dataset, GroupList, GroupResults, GroupRerun, GroupRuns, GroupSubmitted, GroupView, Health,
  MetricPoints, MetricsAccepted, NodeAdded, NodeList, Ok, Problem, QueueList, QueueView, RunAccepted, RunDetail, RunEvents, RunList,
  RunStatus, RunSubmitted, Submitted, TemplateDetail, TemplateFiles, TemplateList, TemplateView, Upload, WhoAmI,
} from '@regatta/core/api-schema';

// The answers' types come from the schemas the server declares its routes with (@regatta/core/api-schema).
export type {
  GroupView, NodeView, Problem, QueueView, RunChange, RunDetail, RunEventView, RunList, RunStatus, RunSummary, Submitted, TemplateView,
} from '@regatta/core/api-schema';

/** An error answered by the server (problem+json), or a transport failure (status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
  }
}

export const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'lost']);

export interface ListRunsQuery {
  status?: string;
  queue?: string;
  name?: string;
  label?: string[];
  group?: string;
  template?: string;
  /** Part of the name or item, or the start of the id. */
  q?: string;
  /** Runs this user submitted; `mine`: the caller's. */
  user?: string;
  mine?: boolean;
  /** Also count every matching run (`total` in the answer). */
  total?: boolean;
  /** `created` (default, newest first), name, status, queue, started, finished, duration or a field; '-' first: descending. */
  sort?: string;
  /** Conditions such as `params.lr>=0.01`, `metrics.loss.min<0.3`, `result.model~resnet`. */
  filter?: string[];
  /** Comma-separated fields to return with each run. */
  fields?: string;
  cursor?: string;
  /** With sort: runs to skip (the previous page's nextOffset). */
  offset?: number;
  limit?: number;
}

/** A byte range of a run's log, and the log's whole size at the time of reading. */
export interface LogRange {
  bytes: Uint8Array;
  offset: number;
  size: number;
  attempt: number;
}

export interface ClientOptions {
  /** The server's URL; '' in a browser page served by Regatta (same origin, signed in by cookie). */
  url: string;
  token?: string;
  /** Sent with every request (the web UI sends the CSRF header its cookie session needs). */
  headers?: Record<string, string>;
}

export class RegattaClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly headers: Record<string, string>;
  /** Users (admin) and your personal tokens. */
  readonly users = new UsersApi((method, path, body) => this.json(method, path, body), (method, path) => this.request(method, path));

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/$/, '');
    this.token = options.token;
    this.headers = options.headers ?? {};
  }

  private async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | Uint8Array | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(this.url + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
      throw new ApiError(0, { type: 'about:blank', title: 'Unreachable', status: 0, detail: `cannot reach Regatta at ${this.url}: ${cause}` });
    }
    if (!res.ok) {
      const text = await res.text();
      let problem: Problem;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = { type: 'about:blank', title: res.statusText, status: res.status, detail: text || res.statusText };
      }
      throw new ApiError(res.status, problem);
    }
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }

  health(): Promise<Health> {
    return this.json('GET', '/api/v1/health');
  }

  /** Submits a job spec for a single run (an object, or YAML/JSON text). */
  submit(spec: unknown): Promise<RunSubmitted> {
    if (typeof spec === 'string') {
      return this.request('POST', '/api/v1/runs', spec, 'application/yaml').then((r) => r.json() as Promise<RunSubmitted>);
    }
    return this.json('POST', '/api/v1/runs', spec);
  }

  /** Uploads a directory packed as tar.gz; use the answer's `ref` as `build.context`. */
  upload(archive: Uint8Array): Promise<Upload> {
    return this.request('POST', '/api/v1/uploads', archive, 'application/gzip').then((r) => r.json() as Promise<Upload>);
  }

  /** Submits a spec that may be a single run or a fan-out (matrix/foreach): the answer says which. */
  submitAny(spec: unknown): Promise<Submitted> {
    return this.json('POST', '/api/v1/runs', spec);
  }

  /** Submits a fan-out spec (matrix or foreach). */
  async submitGroup(spec: unknown): Promise<GroupSubmitted> {
    const r = await this.submitAny(spec);
    if (!('groupId' in r)) throw new Error('the spec has no matrix or foreach: it made a single run');
    return r;
  }

  pushTemplate(name: string, body: { spec: Record<string, unknown>; files?: string }): Promise<TemplateView> {
    return this.json('PUT', `/api/v1/templates/${encodeURIComponent(name)}`, body);
  }

  getTemplate(name: string, version?: number): Promise<TemplateDetail> {
    return this.json('GET', `/api/v1/templates/${encodeURIComponent(name)}${version ? `?version=${version}` : ''}`);
  }

  /** The files attached to a template version. */
  templateFiles(name: string, version?: number): Promise<TemplateFiles> {
    return this.json('GET', `/api/v1/templates/${encodeURIComponent(name)}/files${version ? `?version=${version}` : ''}`);
  }

  listTemplates(): Promise<TemplateList> {
    return this.json('GET', '/api/v1/templates');
  }

  /** Runs a template with overrides (deep-merged; null deletes): a run or, for a fan-out, a group. */
  runTemplate(name: string, overrides: Record<string, unknown> = {}, version?: number): Promise<Submitted> {
    return this.json('POST', `/api/v1/templates/${encodeURIComponent(name)}/runs${version ? `?version=${version}` : ''}`, overrides);
  }

  getGroup(id: string): Promise<GroupView> {
    return this.json('GET', `/api/v1/groups/${encodeURIComponent(id)}`);
  }

  listGroups(q: { user?: string; mine?: boolean } = {}): Promise<GroupList> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    return this.json('GET', `/api/v1/groups${p.size ? `?${p}` : ''}`);
  }

  groupRuns(id: string, q: { status?: string; cursor?: string; limit?: number } = {}): Promise<GroupRuns> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
    return this.json('GET', `/api/v1/groups/${encodeURIComponent(id)}/runs${p.size ? `?${p}` : ''}`);
  }

  groupResults(id: string, q: { sort?: string; order?: 'asc' | 'desc' } = {}): Promise<GroupResults> {
    const p = new URLSearchParams(q as Record<string, string>);
    return this.json('GET', `/api/v1/groups/${encodeURIComponent(id)}/results${p.size ? `?${p}` : ''}`);
  }

  async groupResultsCsv(id: string, q: { sort?: string; order?: 'asc' | 'desc' } = {}): Promise<string> {
    const p = new URLSearchParams({ ...q, format: 'csv' } as Record<string, string>);
    return (await this.request('GET', `/api/v1/groups/${encodeURIComponent(id)}/results?${p}`)).text();
  }

  cancelGroup(id: string): Promise<GroupView> {
    return this.json('POST', `/api/v1/groups/${encodeURIComponent(id)}/cancel`);
  }

  rerunGroup(id: string): Promise<GroupRerun> {
    return this.json('POST', `/api/v1/groups/${encodeURIComponent(id)}/rerun`);
  }

  /** Queues again every item that did not succeed (canceled, failed, timed out, lost), same group. */
  resumeGroup(id: string): Promise<GroupRerun> {
    return this.json('POST', `/api/v1/groups/${encodeURIComponent(id)}/resume`);
  }

  listRuns(q: ListRunsQuery = {}): Promise<RunList> {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
      if (v === undefined) continue;
      for (const x of [v].flat()) p.append(k, String(x));
    }
    const qs = p.toString();
    return this.json('GET', `/api/v1/runs${qs ? `?${qs}` : ''}`);
  }

  getRun(id: string): Promise<RunDetail> {
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}`);
  }

  events(id: string): Promise<RunEvents> {
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}/events`);
  }

  /**
   * Forces an active run to finish as succeeded, through cleanup (optionally setting its result);
   * called again during cleanup, stops what is left at once.
   * @example await client.finish(id, { passed: 12 })
   */
  finish(id: string, result?: unknown): Promise<RunAccepted> {
    return this.json('POST', `/api/v1/runs/${encodeURIComponent(id)}/finish`, result === undefined ? {} : { result });
  }

  cancel(id: string): Promise<RunAccepted> {
    return this.json('POST', `/api/v1/runs/${encodeURIComponent(id)}/cancel`);
  }

  /** Cancels several runs; each answers on its own (a run already ended is `ok: false`, code `conflict`). */
  cancelRuns(ids: readonly string[]): Promise<BulkCancel> {
    return this.json('POST', '/api/v1/runs/cancel', { ids });
  }

  /** Exchanges a personal token for a session cookie (browsers: the token then stays out of JS). */
  async signIn(token: string): Promise<void> {
    await this.request('POST', '/api/v1/session', { token });
  }

  async signOut(): Promise<void> {
    await this.request('DELETE', '/api/v1/session');
  }

  /** Who this client is signed in as; an ApiError with status 401 when nobody. */
  session(): Promise<WhoAmI> {
    return this.json('GET', '/api/v1/session');
  }

  /** The JSON Schema of job specs. */
  jobSpecSchema(): Promise<Record<string, unknown>> {
    return this.json('GET', '/api/v1/schema/job-spec');
  }

  /** The log as a byte stream; with `follow`, it ends when the run ends. */
  async logs(id: string, opts: { follow?: boolean; attempt?: number; offset?: number; service?: string } = {}): Promise<ReadableStream<Uint8Array>> {
    const p = new URLSearchParams();
    if (opts.follow) p.set('follow', 'true');
    if (opts.attempt) p.set('attempt', String(opts.attempt));
    if (opts.offset) p.set('offset', String(opts.offset));
    if (opts.service) p.set('service', opts.service);
    const res = await this.request('GET', `/api/v1/runs/${encodeURIComponent(id)}/logs${p.size ? `?${p}` : ''}`);
    if (!res.body) throw new ApiError(0, { type: 'about:blank', title: 'Empty', status: 0, detail: 'the server sent no log body' });
    return res.body;
  }

  /**
   * Reads `limit` bytes of the log from `offset` (a negative offset counts from the end), with the
   * log's whole size: how a viewer pages through a log too big to load.
   */
  async logRange(id: string, opts: { offset: number; limit: number; attempt?: number; service?: string }): Promise<LogRange> {
    const q = (offset: number, limit: number) => {
      const p = new URLSearchParams({ offset: String(offset), limit: String(limit) });
      if (opts.attempt) p.set('attempt', String(opts.attempt));
      if (opts.service) p.set('service', opts.service);
      return `/api/v1/runs/${encodeURIComponent(id)}/logs?${p}`;
    };
    let offset = Math.max(0, opts.offset);
    let limit = opts.limit;
    if (opts.offset < 0) {
      // The size is known only from an answer: ask for nothing first, then for the tail.
      const head = await this.request('GET', q(0, 0));
      await head.arrayBuffer();
      const size = Number(head.headers.get('x-regatta-log-size') ?? 0);
      offset = Math.max(0, size + opts.offset);
      limit = Math.min(limit, size - offset);
    }
    const res = await this.request('GET', q(offset, limit));
    return {
      bytes: new Uint8Array(await res.arrayBuffer()),
      offset,
      size: Number(res.headers.get('x-regatta-log-size') ?? 0),
      attempt: Number(res.headers.get('x-regatta-attempt') ?? opts.attempt ?? 0),
    };
  }

  postMetrics(id: string, metrics: { name: string; value: number; step?: number }[]): Promise<MetricsAccepted> {
    return this.json('POST', `/api/v1/runs/${encodeURIComponent(id)}/metrics`, { metrics });
  }

  metrics(id: string, name?: string): Promise<MetricPoints> {
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}/metrics${name ? `?name=${encodeURIComponent(name)}` : ''}`);
  }

  /** One metric for a chart: past maxPoints, each bucket's lowest and highest point (`downsampled`). */
  metricSeries(id: string, name: string, maxPoints: number): Promise<Required<MetricPoints>> {
    const p = new URLSearchParams({ name, maxPoints: String(maxPoints) });
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}/metrics?${p}`);
  }

  /** Field names runs have (params.*, result.*, metrics.*.last|min|max|count), those of one group's runs when given. */
  runFields(group?: string): Promise<{ items: string[] }> {
    return this.json('GET', `/api/v1/runs/fields${group ? `?group=${encodeURIComponent(group)}` : ''}`);
  }

  setResult(id: string, result: unknown): Promise<Ok> {
    return this.json('PUT', `/api/v1/runs/${encodeURIComponent(id)}/result`, result);
  }

  artifacts(id: string, attempt?: number): Promise<ArtifactList> {
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}/artifacts${attempt ? `?attempt=${attempt}` : ''}`);
  }

  async downloadArtifact(id: string, path: string, attempt?: number): Promise<ReadableStream<Uint8Array>> {
    const enc = path.split('/').map(encodeURIComponent).join('/');
    const res = await this.request('GET', `/api/v1/runs/${encodeURIComponent(id)}/artifacts/${enc}${attempt ? `?attempt=${attempt}` : ''}`);
    if (!res.body) throw new ApiError(0, { type: 'about:blank', title: 'Empty', status: 0, detail: 'empty artifact body' });
    return res.body;
  }

  queues(): Promise<QueueList> {
    return this.json('GET', '/api/v1/queues');
  }

  setQueue(name: string, concurrency: number | null): Promise<QueueView> {
    return this.json('PUT', `/api/v1/queues/${encodeURIComponent(name)}`, { concurrency });
  }

  /** Registers a dataset: a directory on the server (`path`) or an upload (`upload: "upload:<id>"`). */
  putDataset(name: string, source: { path: string } | { upload: string }): Promise<Dataset> {
    return this.json('PUT', `/api/v1/datasets/${encodeURIComponent(name)}`, source);
  }

  datasets(): Promise<DatasetList> {
    return this.json('GET', '/api/v1/datasets');
  }

  async removeDataset(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/datasets/${encodeURIComponent(name)}`);
  }

  nodes(): Promise<NodeList> {
    return this.json('GET', '/api/v1/nodes');
  }

  addNode(node: { name: string; docker: string; tlsDir?: string; gpus?: number }): Promise<NodeAdded> {
    return this.json('POST', '/api/v1/nodes', node);
  }

  async removeNode(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/nodes/${encodeURIComponent(name)}`);
  }

  /** Polls until the run reaches a final status. */
  async waitForRun(id: string, opts: { intervalMs?: number; timeoutMs?: number } = {}): Promise<RunDetail> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    let delay = 50;
    for (;;) {
      const run = await this.getRun(id);
      if (TERMINAL.has(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} did not finish in time (status ${run.status})`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(opts.intervalMs ?? 1000, delay * 2);
    }
  }
}
