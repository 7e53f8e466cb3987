/**
 * The run engine: owns the lifecycle of every run. It keeps the queue and the running attempts in
 * memory for speed, writes every transition to the store before acting on it, asks the pure
 * scheduler where to start runs, and hands attempts to backends.
 */
import {
  ConflictError, NotFoundError, compileSpec, newId, runFootprint, schedule,
  type GroupRecord,
  type AttemptRecord, type Clock, type Logger, type MetricPoint, type RunRecord, type RunStatus,
} from '@regatta/core';
import type { Backend } from '@regatta/backends';
import { applyRunPatch, type NewEvent, type RunPatch, type Store } from '@regatta/store';
import { RunQueue } from './run-queue.js';
import { GroupBook, rerunStatuses } from './group-book.js';
import { prepareGroup } from './group-submission.js';
import { fitsSomeNode, nodeStates, nodeUsage, roomNow, type Holding, type NodeUsage } from './node-usage.js';
import { checkPlaceable, limitsInUse, queueStats, withDatasets, type QueueStats } from './run-admission.js';
import { bindBackend } from './backend-binding.js';
import { AttemptLifecycle, type Active, type EndedAttempt } from './attempt-lifecycle.js';
import type { AttemptStorage } from './attempt-storage.js';

export interface EngineOptions {
  store: Store;
  backends: readonly Backend[];
  clock: Clock;
  logger: Logger;
  /** Root for per-run directories (logs, outputs, work). */
  runsDir: string;
  /** Base URL jobs use to reach the API (known once the server listens). */
  apiUrl: () => string;
  secret: Buffer;
  /** Time between SIGTERM and SIGKILL on cancel and timeout. */
  stopGraceMs: number;
  /** Host paths runs may mount (prefixes); nothing else is mounted. */
  allowedHostPaths: readonly string[];
  /** Host paths never mounted, even when allowed (the server's data directory). */
  privateHostPaths?: readonly string[];
  /** Where an uploaded directory (`upload:<id>`) is on the server. */
  filesDir(ref: string): string;
  /** The host path of a registered dataset. */
  datasetPath(name: string): Promise<string | undefined>;
  /** Queues whose runs go to a backend (`hpc: slurm`) unless their spec names one. */
  queueBackends?: Readonly<Record<string, string>>;
  /** Queues that cap each user's active runs (`gpu: 2`). */
  queuePerUser?: Readonly<Record<string, number>>;
  /** The path an app is served under by the proxy (default /runs/<id>/proxy/<port>/; '/' at origins of their own). */
  proxyPath?: (runId: string, port: number) => string;
  /** Where ended attempts' artifacts go (default: they stay on this server's disk). */
  storage?: AttemptStorage;
  /** The most items (runs) one fan-out may create; default DEFAULT_MAX_FANOUT_ITEMS. */
  maxFanoutItems?: number;
}

/** Where a submission came from: a template version, and the user who submitted it. */
export interface SubmitOrigin {
  template?: { name: string; version: number };
  createdBy?: string;
}

export interface RunChange {
  runId: string;
  status: RunStatus;
  attempt: number;
  groupId?: string;
  reason?: string;
}

/**
 * What listeners inside the server also get with a change (never sent to clients): the run as it
 * is after the change, and the attempt it ended, if any, so that no listener reads them back.
 */
export interface ChangeDetail {
  run: RunRecord;
  endedAttempt?: EndedAttempt;
}


export class Engine {
  private readonly o: EngineOptions;
  private readonly queued = new RunQueue();
  private readonly active = new Map<string, Active>();
  /** Attempts that ended and whose outcome is being recorded; their resources are already free. */
  private readonly finishing = new Map<string, Active>();
  private readonly bookkeeping = new Set<Promise<void>>();
  private readonly groups = new GroupBook();
  /** fail_fast groups being canceled, so one failure cancels once. */
  private readonly failing = new Set<string>();
  private readonly concurrency = new Map<string, number>();
  private readonly listeners = new Set<(c: RunChange, d: ChangeDetail) => void>();
  private passPending = false;
  /** While start() recovers active runs: no pass until every one of them holds its slot again. */
  private recovering = false;
  private wakeTimer: { cancel(): void } | undefined;
  private stopping = false;
  private readonly attempts: AttemptLifecycle;

  constructor(options: EngineOptions) {
    this.o = options;
    this.attempts = new AttemptLifecycle({
      o: options, active: this.active, finishing: this.finishing, bookkeeping: this.bookkeeping, groups: this.groups,
      save: (before, patch, also) => this.save(before, patch, also),
      emit: (run, ended) => this.emit(run, ended),
      requestPass: () => this.requestPass(),
      requeue: (run) => this.queued.add(run),
      stopping: () => this.stopping,
    });
  }

  /** Loads queues, re-queues waiting runs and recovers runs that were active when the server stopped. */
  async start(): Promise<void> {
    // A recovered run that ends at once (it ended while the server was down) asks for a pass; one
    // then, before the other recovered runs are active again, would overfill their queues and nodes.
    this.recovering = true;
    try {
      await this.load();
    } finally {
      this.recovering = false;
    }
    await this.sweep();
    this.requestPass();
  }

  private async load(): Promise<void> {
    for (const q of await this.o.store.listQueues()) if (q.concurrency !== undefined) this.concurrency.set(q.name, q.concurrency);
    for (const g of await this.o.store.activeGroups()) this.groups.load(g);
    for (const run of await this.o.store.runsWithStatus(['queued'])) this.queued.add(run);
    const interrupted = await this.o.store.runsWithStatus(['starting', 'building', 'running', 'cleanup']);
    await Promise.all(interrupted.map((run) => this.attempts.recover(run)));
  }

  private async sweep(): Promise<void> {
    // What is left of attempts that are not active any more (containers of given-up attempts) goes.
    for (const b of this.o.backends) {
      const stray = async (runId: string, attempt: number) =>
        this.active.get(runId)?.attempt !== attempt && (await this.o.store.getRun(runId)) !== undefined;
      const removed = await b.sweep?.(stray).catch((e: unknown) => {
        this.o.logger.warn({ err: e, backend: b.name }, 'sweeping leftovers failed');
        return 0;
      });
      if (removed) this.o.logger.info({ backend: b.name, removed }, 'removed leftovers of attempts that are not active');
    }
  }

  /**
   * Writes a run's change; for an item of a group, its counters move in the same transaction, and a
   * failure in a fail_fast group cancels the rest.
   */
  private async save(before: RunRecord, patch: RunPatch, also: { event?: NewEvent; attempt?: AttemptRecord } = {}): Promise<void> {
    const to = patch.status;
    const g = before.groupId !== undefined ? this.groups.get(before.groupId) : undefined;
    const group = g && to !== undefined ? this.groups.apply(g.id, before.status, to, patch.updatedAt) : undefined;
    await this.o.store.updateRun(before.id, patch, { ...also, ...(group ? { group } : {}) });
    if (g?.failFast && to && (to === 'failed' || to === 'timed_out' || to === 'lost') && !this.failing.has(g.id)) {
      this.failing.add(g.id);
      void this.cancelGroup(g.id, `canceled: fail_fast after item ${before.itemKey ?? before.id} ended ${to}`).catch((e: unknown) =>
        this.o.logger.error({ err: e, groupId: g.id }, 'fail_fast cancel failed'));
    }
  }

  onChange(listener: (c: RunChange, d: ChangeDetail) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(run: RunRecord, endedAttempt?: EndedAttempt): void {
    const change: RunChange = {
      runId: run.id, status: run.status, attempt: run.attempt,
      ...(run.groupId !== undefined ? { groupId: run.groupId } : {}), ...(run.reason !== undefined ? { reason: run.reason } : {}),
    };
    const detail: ChangeDetail = { run, ...(endedAttempt ? { endedAttempt } : {}) };
    for (const l of this.listeners) l(change, detail);
  }

  async submit(input: unknown, origin: SubmitOrigin = {}): Promise<RunRecord> {
    if (this.stopping) throw new ConflictError('the server is shutting down');
    const { spec, resolved: compiled } = compileSpec(input);
    const resolved = bindBackend(await withDatasets(compiled, this.o.datasetPath), this.o.queueBackends);
    const now = this.o.clock.now();
    checkPlaceable(resolved, this.o.backends, this.o.allowedHostPaths, this.o.privateHostPaths);
    const run = await this.o.store.createRun(
      {
        id: newId(now), name: resolved.name, status: 'queued', queue: resolved.queue, priority: resolved.priority,
        labels: resolved.labels, spec, resolved, createdAt: now, updatedAt: now, attempt: 0,
        ...(origin.template ? { template: origin.template } : {}), ...(origin.createdBy !== undefined ? { createdBy: origin.createdBy } : {}),
      },
      { attempt: 0, ts: now, to: 'queued', reason: origin.createdBy !== undefined ? `submitted by ${origin.createdBy}` : 'submitted' },
    );
    this.emit(run);
    if (!fitsSomeNode(this.o.backends, run.resolved)) {
      const r = runFootprint(resolved);
      const reason = `unschedulable: asks for more than any node has (cpus ${r.cpus}, memory ${r.memory} B, gpus ${r.gpus})`;
      await this.finishQueued(run, 'failed', reason);
      return { ...run, status: 'failed', reason };
    }
    this.queued.add(run);
    // Adding a run never lets another one start, so a full pass is only needed when this one might.
    if (roomNow(nodeStates(this.o.backends, this.holdings()).states, run.resolved)) this.requestPass();
    return run;
  }

  /** Submits a fan-out: the group and every item, in one transaction. */
  async submitGroup(input: unknown, origin: SubmitOrigin = {}): Promise<{ group: GroupRecord; runs: RunRecord[] }> {
    if (this.stopping) throw new ConflictError('the server is shutting down');
    const prepared = await prepareGroup(input, this.o.clock.now(), this.o.filesDir, this.o.datasetPath, this.o.maxFanoutItems);
    const by = origin.createdBy !== undefined ? { createdBy: origin.createdBy } : {};
    const group = { ...prepared.group, ...by };
    // Every item names the same datasets: resolved once, applied to all.
    const first = { ...prepared.first, resolved: await withDatasets(prepared.first.resolved, this.o.datasetPath) };
    const datasets = first.resolved.datasets;
    const items = prepared.runs.map((r) => ({
      ...r, ...(origin.template ? { template: origin.template } : {}), ...by,
      resolved: bindBackend(datasets.length ? { ...r.resolved, datasets } : r.resolved, this.o.queueBackends),
    }));
    checkPlaceable(bindBackend(first.resolved, this.o.queueBackends), this.o.backends, this.o.allowedHostPaths, this.o.privateHostPaths);
    const runs = await this.o.store.createGroup(group, items);
    this.groups.load(group);
    for (const r of runs) this.queued.add(r);
    this.requestPass();
    return { group, runs };
  }

  async getGroup(id: string): Promise<GroupRecord | undefined> {
    return this.groups.get(id) ?? (await this.o.store.getGroup(id));
  }

  /** Cancels every item not yet ended. */
  async cancelGroup(id: string, reason = 'canceled by user'): Promise<GroupRecord> {
    const g = await this.getGroup(id);
    if (!g) throw new NotFoundError('group', id);
    const queued = [...this.queued.values()].filter((r) => r.groupId === id);
    await Promise.all(queued.map((r) => this.cancel(r.id, reason)));
    for (const a of this.active.values()) if (a.run.groupId === id) this.attempts.requestStop(a, { outcome: 'canceled', reason });
    return (await this.getGroup(id)) ?? g;
  }

  /**
   * Starts a new attempt of every item that failed, timed out or was lost; same group. `resume`
   * also takes the canceled ones (a canceled group's items that never started end canceled too).
   */
  async rerunFailed(id: string, o: { resume?: boolean; by?: string } = {}): Promise<{ group: GroupRecord; rerun: number }> {
    const g = await this.getGroup(id);
    if (!g) throw new NotFoundError('group', id);
    if (!this.groups.get(id)) this.groups.load(g);
    this.failing.delete(id);
    let rerun = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.o.store.listRuns({ groupId: id, status: rerunStatuses(o.resume), limit: 500, ...(cursor ? { cursor } : {}) });
      for (const run of page.runs) {
        const now = this.o.clock.now();
        const reason = (o.resume ? `resumed (it had ended ${run.status})` : 'rerun of a failed item requested') + (o.by !== undefined ? ` by ${o.by}` : '');
        const patch: RunPatch = { status: 'queued', reason, updatedAt: now, finishedAt: null, notBefore: null };
        await this.save(run, patch, {
          event: { attempt: run.attempt, ts: now, from: run.status, to: 'queued', reason },
        });
        const next = applyRunPatch(run, patch);
        this.queued.add(next);
        this.emit(next);
        rerun++;
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    this.requestPass();
    return { group: (await this.getGroup(id)) ?? g, rerun };
  }

  /** `graceMs` 0 kills at once (an API whose original did `container.kill()`); default: the server's stop grace. */
  async cancel(id: string, reason = 'canceled by user', opts: { graceMs?: number } = {}): Promise<RunRecord> {
    const q = this.queued.remove(id);
    if (q) {
      const now = this.o.clock.now();
      const patch: RunPatch = { status: 'canceled', reason, finishedAt: now, updatedAt: now, notBefore: null };
      const next = applyRunPatch(q, patch);
      await this.save(q, patch, {
        event: { attempt: q.attempt, ts: now, from: 'queued', to: 'canceled', reason },
      });
      this.emit(next);
      this.requestPass();
      return next;
    }
    const a = this.active.get(id);
    if (a) {
      this.attempts.requestStop(a, { outcome: 'canceled', reason }, opts.graceMs);
      return a.run;
    }
    if (this.finishing.has(id)) throw new ConflictError(`run ${id} has already ended`);
    const run = await this.o.store.getRun(id);
    if (!run) throw new NotFoundError('run', id);
    throw new ConflictError(`run ${id} has already ended (${run.status})`);
  }

  async setQueue(name: string, concurrency: number | undefined): Promise<void> {
    await this.o.store.setQueue({ name, ...(concurrency !== undefined ? { concurrency } : {}) });
    if (concurrency === undefined) this.concurrency.delete(name);
    else this.concurrency.set(name, concurrency);
    this.requestPass();
  }

  queueStats(): Map<string, QueueStats> {
    return queueStats(this.queued.values(), [...this.active.values()].map((a) => a.run), this.concurrency, this.o.queueBackends, this.o.queuePerUser);
  }

  nodes(): NodeUsage[] {
    return nodeUsage(this.o.backends, this.holdings());
  }

  private *holdings(): Generator<Holding> {
    for (const a of this.active.values()) yield { runId: a.run.id, node: a.node, gpus: a.gpus, resources: a.resources };
  }

  /** Whether the run's attempt `attempt` is the live one (run tokens of older attempts are refused). */
  isLiveAttempt(runId: string, attempt: number): boolean {
    const a = this.active.get(runId);
    return a !== undefined && a.attempt === attempt;
  }

  async addMetrics(runId: string, attempt: number, points: MetricPoint[]): Promise<void> {
    await this.o.store.addMetrics(runId, attempt, points);
  }

  async setResult(runId: string, result: unknown): Promise<void> {
    await this.o.store.setResult(runId, result, this.o.clock.now());
    const a = this.active.get(runId);
    if (a?.run.resolved.finishOnResult) this.attempts.requestStop(a, { outcome: 'succeeded', reason: 'finished: its result was posted' });
  }

  /** Adds a line to a run's timeline without changing its status (what a facade could not honour). */
  async noteRun(runId: string, reason: string): Promise<void> {
    const run = this.active.get(runId)?.run ?? this.queued.get(runId) ?? (await this.o.store.getRun(runId));
    if (!run) throw new NotFoundError('run', runId);
    await this.o.store.addEvent(runId, { attempt: run.attempt, ts: this.o.clock.now(), from: run.status, to: run.status, reason });
  }

  /**
   * Ends an active run as succeeded (an operator unsticking it), optionally with its result: the
   * main task is stopped and the run goes through cleanup. Asked again while the run is already
   * finishing, it stops what is left without waiting for the grace period.
   */
  async finishRun(runId: string, result?: unknown, reason = 'finished by an operator'): Promise<RunRecord> {
    const a = this.active.get(runId);
    if (!a) {
      const run = this.queued.get(runId) ?? (await this.o.store.getRun(runId));
      if (!run) throw new NotFoundError('run', runId);
      throw new ConflictError(run.status === 'queued' ? `run ${runId} has not started yet (cancel it instead)` : `run ${runId} has already ended (${run.status})`);
    }
    if (result !== undefined) await this.o.store.setResult(runId, result, this.o.clock.now());
    if (a.stopReason) {
      if (a.handle) this.attempts.stopHandle(a, a.handle, 0);
    } else {
      this.attempts.requestStop(a, { outcome: 'succeeded', reason });
    }
    return a.run;
  }

  /** Where a declared port of an active run is reachable from the server (`host:port`). */
  endpoint(runId: string, port: number): string | undefined {
    return this.active.get(runId)?.handle?.endpoints?.()[port];
  }

  /**
   * Stops taking work; queued runs stay queued. By default active attempts are left running and the
   * next start re-attaches them (a restart or upgrade loses nothing); those that cannot outlive the
   * server are stopped and marked lost. With `drain`, every active attempt is waited for to the end.
   */
  async shutdown(o: { drain?: boolean } = {}): Promise<void> {
    this.stopping = true;
    this.wakeTimer?.cancel();
    if (o.drain) {
      while (this.active.size || this.bookkeeping.size) {
        await Promise.race([...[...this.active.values()].flatMap((a) => (a.handle ? [a.handle.done] : [])), ...this.bookkeeping, new Promise((r) => setTimeout(r, 200))]);
      }
      return;
    }
    // An attempt being launched gets a moment to become one that can be left running.
    await this.attempts.launched(this.o.stopGraceMs);
    const waits: Promise<unknown>[] = [];
    for (const a of this.active.values()) {
      if (a.handle?.detach) {
        // It outlives the server (a process under the supervisor, a container): the next start re-attaches.
        a.timer?.cancel();
        a.handle.detach();
        continue;
      }
      this.attempts.requestStop(a, { outcome: 'lost', reason: 'the server shut down while the run was active' });
      if (a.handle) waits.push(a.handle.done);
    }
    await Promise.all(waits);
    // finish() was called as each attempt ended; let its bookkeeping reach the store.
    await Promise.all(this.bookkeeping);
  }

  // --- scheduling -------------------------------------------------------------------------------

  private requestPass(): void {
    if (this.passPending || this.stopping || this.recovering) return;
    this.passPending = true;
    setImmediate(() => {
      this.passPending = false;
      this.pass();
    });
  }

  private pass(): void {
    if (!this.queued.size) return;
    const now = this.o.clock.now();
    const { states, owner } = nodeStates(this.o.backends, this.holdings());
    const { queues, groups } = limitsInUse(this.active.values(), this.concurrency, this.groups.limited(), this.o.queuePerUser);
    const { placements, unschedulable } = schedule({ lanes: this.queued.lanes(), nodes: states, queues, groups, now });
    for (const p of placements) {
      const backend = owner.get(p.node);
      const run = backend && this.queued.remove(p.runId);
      if (!run || !backend) continue;
      const a: Active = {
        run, attempt: run.attempt + 1, node: p.node, backend, gpus: p.gpus, resources: runFootprint(run.resolved), status: 'starting',
      };
      this.active.set(run.id, a);
      this.attempts.launch(a).catch((e: unknown) => this.o.logger.error({ err: e, runId: run.id }, 'launch bookkeeping failed'));
    }
    for (const u of unschedulable) {
      const run = this.queued.remove(u.runId);
      if (!run) continue;
      this.finishQueued(run, 'failed', `unschedulable: ${u.reason}`).catch((e: unknown) =>
        this.o.logger.error({ err: e, runId: run.id }, 'could not fail an unschedulable run'));
    }
    const wakeAt = this.queued.nextWake(now);
    this.wakeTimer?.cancel();
    this.wakeTimer = wakeAt !== undefined ? this.o.clock.setTimeout(() => this.requestPass(), wakeAt - now) : undefined;
  }

  private async finishQueued(run: RunRecord, status: RunStatus, reason: string): Promise<void> {
    const now = this.o.clock.now();
    await this.save(run, { status, reason, finishedAt: now, updatedAt: now }, {
      event: { attempt: run.attempt, ts: now, from: 'queued', to: status, reason },
    });
    this.emit({ ...run, status, reason });
  }

  // --- attempts ---------------------------------------------------------------------------------

  /** Current in-memory view of a run, or undefined when it is neither queued nor active. */
  live(id: string): RunRecord | undefined {
    return this.queued.get(id) ?? this.active.get(id)?.run ?? this.finishing.get(id)?.run;
  }
}

export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
