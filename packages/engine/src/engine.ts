/**
 * The run engine: owns the lifecycle of every run. It keeps the queue and the running attempts in
 * memory for speed, writes every transition to the store before acting on it, asks the pure
 * scheduler where to start runs, and hands attempts to backends.
 */
import {
  ConflictError, NotFoundError, RegattaError, compileSpec, newId, runFootprint, schedule,
  type GroupRecord,
  type AttemptRecord, type Clock, type Logger, type MetricPoint, type ResolvedResources, type RunRecord, type RunStatus,
} from '@regatta/core';
import type { Backend } from '@regatta/backends';
import type { ExitInfo, LaunchRequest, RunHandle } from '@regatta/runtimes';
import type { NewEvent, RunPatch, Store } from '@regatta/store';
import { recordOutputs } from './reports.js';
import { RunQueue } from './run-queue.js';
import { attemptOutcome, decideAttempt, type StopReason } from './attempt-outcome.js';
import { retryLogTail } from './log-tail.js';
import { storeAttempt, withStorage, type AttemptStorage } from './attempt-storage.js';
import { GroupBook, rerunStatuses } from './group-book.js';
import { prepareGroup } from './group-submission.js';
import { fitsSomeNode, nodeStates, nodeUsage, roomNow, type Holding, type NodeUsage } from './node-usage.js';
import { attemptEnv, attemptPaths } from './attempt-env.js';
import { checkPlaceable, limitsInUse, queueStats, withDatasets, type QueueStats } from './run-admission.js';
import { bindBackend } from './backend-binding.js';

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
  /** The path an app is served under by the proxy (default /runs/<id>/proxy/<port>/; '/' at origins of their own). */
  proxyPath?: (runId: string, port: number) => string;
  /** Where ended attempts' artifacts go (default: they stay on this server's disk). */
  storage?: AttemptStorage;
  /** The most items (runs) one fan-out may create; default DEFAULT_MAX_FANOUT_ITEMS. */
  maxFanoutItems?: number;
}

export interface RunChange {
  runId: string;
  status: RunStatus;
  attempt: number;
  groupId?: string;
  reason?: string;
}

interface Active {
  run: RunRecord;
  attempt: number;
  node: string;
  backend: Backend;
  gpus: number[];
  resources: ResolvedResources;
  handle?: RunHandle;
  status: RunStatus;
  stopReason?: StopReason;
  /** The grace period the stop asked for, when not the server's (0: kill). */
  stopGraceMs?: number;
  timer?: { cancel(): void };
  health?: 'healthy' | 'unhealthy';
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
  private readonly listeners = new Set<(c: RunChange) => void>();
  private passPending = false;
  private wakeTimer: { cancel(): void } | undefined;
  private stopping = false;

  constructor(options: EngineOptions) {
    this.o = options;
  }

  /** Loads queues, re-queues waiting runs and recovers runs that were active when the server stopped. */
  async start(): Promise<void> {
    for (const q of await this.o.store.listQueues()) if (q.concurrency !== undefined) this.concurrency.set(q.name, q.concurrency);
    for (const g of await this.o.store.activeGroups()) this.groups.load(g);
    for (const run of await this.o.store.runsWithStatus(['queued'])) this.queued.add(run);
    const interrupted = await this.o.store.runsWithStatus(['starting', 'building', 'running', 'cleanup']);
    await Promise.all(interrupted.map((run) => this.recover(run)));
    this.requestPass();
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

  onChange(listener: (c: RunChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(run: RunRecord): void {
    const change: RunChange = {
      runId: run.id, status: run.status, attempt: run.attempt,
      ...(run.groupId !== undefined ? { groupId: run.groupId } : {}), ...(run.reason !== undefined ? { reason: run.reason } : {}),
    };
    for (const l of this.listeners) l(change);
  }

  async submit(input: unknown, origin: { template?: { name: string; version: number } } = {}): Promise<RunRecord> {
    if (this.stopping) throw new ConflictError('the server is shutting down');
    const { spec, resolved: compiled } = compileSpec(input);
    const resolved = bindBackend(await withDatasets(compiled, this.o.datasetPath), this.o.queueBackends);
    const now = this.o.clock.now();
    checkPlaceable(resolved, this.o.backends, this.o.allowedHostPaths, this.o.privateHostPaths);
    const run = await this.o.store.createRun(
      {
        id: newId(now), name: resolved.name, status: 'queued', queue: resolved.queue, priority: resolved.priority,
        labels: resolved.labels, spec, resolved, createdAt: now, updatedAt: now, attempt: 0,
        ...(origin.template ? { template: origin.template } : {}),
      },
      { attempt: 0, ts: now, to: 'queued', reason: 'submitted' },
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
  async submitGroup(input: unknown, origin: { template?: { name: string; version: number } } = {}): Promise<{ group: GroupRecord; runs: RunRecord[] }> {
    if (this.stopping) throw new ConflictError('the server is shutting down');
    const prepared = await prepareGroup(input, this.o.clock.now(), this.o.filesDir, this.o.datasetPath, this.o.maxFanoutItems);
    const { group } = prepared;
    // Every item names the same datasets: resolved once, applied to all.
    const first = { ...prepared.first, resolved: await withDatasets(prepared.first.resolved, this.o.datasetPath) };
    const datasets = first.resolved.datasets;
    const items = prepared.runs.map((r) => ({
      ...r, ...(origin.template ? { template: origin.template } : {}),
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
    for (const a of this.active.values()) if (a.run.groupId === id) this.requestStop(a, { outcome: 'canceled', reason });
    return (await this.getGroup(id)) ?? g;
  }

  /**
   * Starts a new attempt of every item that failed, timed out or was lost; same group. `resume`
   * also takes the canceled ones (a canceled group's items that never started end canceled too).
   */
  async rerunFailed(id: string, o: { resume?: boolean } = {}): Promise<{ group: GroupRecord; rerun: number }> {
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
        const reason = o.resume ? `resumed (it had ended ${run.status})` : 'rerun of a failed item requested';
        await this.save(run, { status: 'queued', reason, updatedAt: now, finishedAt: undefined, notBefore: undefined }, {
          event: { attempt: run.attempt, ts: now, from: run.status, to: 'queued', reason },
        });
        const next: RunRecord = { ...run, status: 'queued', reason, updatedAt: now, finishedAt: undefined, notBefore: undefined };
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
      const next: RunRecord = { ...q, status: 'canceled', reason, finishedAt: now, updatedAt: now, notBefore: undefined };
      await this.save(q, { status: 'canceled', reason, finishedAt: now, updatedAt: now, notBefore: undefined }, {
        event: { attempt: q.attempt, ts: now, from: 'queued', to: 'canceled', reason },
      });
      this.emit(next);
      this.requestPass();
      return next;
    }
    const a = this.active.get(id);
    if (a) {
      this.requestStop(a, { outcome: 'canceled', reason }, opts.graceMs);
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
    return queueStats(this.queued.values(), [...this.active.values()].map((a) => a.run), this.concurrency, this.o.queueBackends);
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
    if (a?.run.resolved.finishOnResult) this.requestStop(a, { outcome: 'succeeded', reason: 'finished: its result was posted' });
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
  async finishRun(runId: string, result?: unknown): Promise<RunRecord> {
    const a = this.active.get(runId);
    if (!a) {
      const run = this.queued.get(runId) ?? (await this.o.store.getRun(runId));
      if (!run) throw new NotFoundError('run', runId);
      throw new ConflictError(run.status === 'queued' ? `run ${runId} has not started yet (cancel it instead)` : `run ${runId} has already ended (${run.status})`);
    }
    if (result !== undefined) await this.o.store.setResult(runId, result, this.o.clock.now());
    if (a.stopReason) {
      if (a.handle) this.stopHandle(a, a.handle, 0);
    } else {
      this.requestStop(a, { outcome: 'succeeded', reason: 'finished by an operator' });
    }
    return a.run;
  }

  /** Where a declared port of an active run is reachable from the server (`host:port`). */
  endpoint(runId: string, port: number): string | undefined {
    return this.active.get(runId)?.handle?.endpoints?.()[port];
  }

  /** Stops taking work. Attempts that cannot be re-attached after a restart are stopped and marked lost. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.wakeTimer?.cancel();
    const waits: Promise<unknown>[] = [];
    for (const a of this.active.values()) {
      if (a.handle?.detach) {
        // It outlives the server (a container): leave it running, the next start re-attaches.
        a.timer?.cancel();
        a.handle.detach();
        continue;
      }
      this.requestStop(a, { outcome: 'lost', reason: 'the server shut down while the run was active' });
      if (a.handle) waits.push(a.handle.done);
    }
    await Promise.all(waits);
    // finish() was called as each attempt ended; let its bookkeeping reach the store.
    await Promise.all(this.bookkeeping);
  }

  // --- scheduling -------------------------------------------------------------------------------

  private requestPass(): void {
    if (this.passPending || this.stopping) return;
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
    const { queues, groups } = limitsInUse(this.active.values(), this.concurrency, this.groups.limited());
    const { placements, unschedulable } = schedule({ lanes: this.queued.lanes(), nodes: states, queues, groups, now });
    for (const p of placements) {
      const backend = owner.get(p.node);
      const run = backend && this.queued.remove(p.runId);
      if (!run || !backend) continue;
      const a: Active = {
        run, attempt: run.attempt + 1, node: p.node, backend, gpus: p.gpus, resources: runFootprint(run.resolved), status: 'starting',
      };
      this.active.set(run.id, a);
      this.launch(a).catch((e: unknown) => this.o.logger.error({ err: e, runId: run.id }, 'launch bookkeeping failed'));
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

  private launchRequest(a: Active): LaunchRequest {
    const { run, attempt } = a;
    const paths = attemptPaths(this.o.runsDir, run.id, attempt);
    const env = attemptEnv({
      runId: run.id, attempt, node: a.node, gpus: a.gpus, cpus: run.resolved.resources.cpus, apiUrl: this.o.apiUrl(), secret: this.o.secret, outputs: paths.outputs,
      datasets: run.resolved.datasets.map((d) => ({ name: d.name, path: run.resolved.runtime === 'docker' ? d.target : d.source ?? '' })),
      nodeHasGpus: a.backend.nodes().some((n) => n.name === a.node && n.total.gpus > 0),
      proxiedPorts: run.resolved.ports.map((p) => p.port),
      ...(this.o.proxyPath ? { proxyPath: this.o.proxyPath } : {}),
    });
    const group = run.groupId !== undefined ? this.groups.get(run.groupId) : undefined;
    return {
      runId: run.id, attempt, spec: run.resolved, env, paths, node: a.node, gpus: a.gpus,
      ...(group ? { group: { id: group.id, ...(group.maxParallel !== undefined ? { maxParallel: group.maxParallel } : {}) } } : {}),
    };
  }


  private async transition(a: Active, to: RunStatus, reason: string | undefined, extra: { externalId?: string } = {}): Promise<void> {
    const now = this.o.clock.now();
    const from = a.status;
    const before = { ...a.run, status: from };
    a.status = to;
    a.run = { ...a.run, status: to, updatedAt: now, ...(reason ? { reason } : {}) };
    await this.save(before, { status: to, updatedAt: now, ...(reason ? { reason } : {}) }, {
      event: { attempt: a.attempt, ts: now, from, to, ...(reason ? { reason } : {}) },
      attempt: {
        runId: a.run.id, attempt: a.attempt, status: to, node: a.node, gpus: a.gpus, startedAt: a.run.startedAt,
        ...(extra.externalId !== undefined ? { externalId: extra.externalId } : a.handle?.externalId ? { externalId: a.handle.externalId } : {}),
      },
    });
    this.emit(a.run);
  }

  /** Asks an attempt to stop; a handle that fails to (it should not) is logged, never an unhandled rejection. */
  private stopHandle(a: Active, handle: RunHandle, graceMs: number): void {
    handle.stop(graceMs).catch((e: unknown) => this.o.logger.error({ err: e, runId: a.run.id }, 'stopping an attempt failed'));
  }

  /**
   * Stores the attempt's current external id (it grows as an attempt's services start), so that
   * after a crash the next server can stop everything the attempt started.
   */
  private recordExternalId(a: Active): void {
    const externalId = a.handle?.externalId;
    if (!externalId) return;
    const now = this.o.clock.now();
    this.o.store.updateRun(a.run.id, { updatedAt: now }, {
      attempt: { runId: a.run.id, attempt: a.attempt, status: a.status, node: a.node, gpus: a.gpus, startedAt: a.run.startedAt, externalId },
    }).catch((e: unknown) => this.o.logger.error({ err: e, runId: a.run.id }, 'recording an attempt id failed'));
  }

  /** A line in the run's timeline that does not change its status. */
  private note(a: Active, reason: string): void {
    const now = this.o.clock.now();
    this.o.store.addEvent(a.run.id, { attempt: a.attempt, ts: now, from: a.status, to: a.status, reason })
      .catch((e: unknown) => this.o.logger.error({ err: e, runId: a.run.id }, 'recording an event failed'));
  }

  private async launch(a: Active): Promise<void> {
    const now = this.o.clock.now();
    const startedAt = now;
    const before = a.run;
    a.run = { ...a.run, status: 'starting', attempt: a.attempt, node: a.node, gpus: a.gpus, startedAt, updatedAt: now };
    await this.save(before, {
      status: 'starting', attempt: a.attempt, node: a.node, gpus: a.gpus, startedAt, updatedAt: now, notBefore: undefined,
    }, {
      event: { attempt: a.attempt, ts: now, from: 'queued', to: 'starting', reason: `placed on ${a.node}${a.gpus.length ? ` with GPUs ${a.gpus.join(',')}` : ''}` },
      attempt: { runId: a.run.id, attempt: a.attempt, status: 'starting', node: a.node, gpus: a.gpus, startedAt },
    });
    this.emit(a.run);
    if (a.stopReason) return this.finish(a, {});

    let reportedRunning = false;
    let launched = false;
    const req = this.launchRequest(a);
    let handle: RunHandle;
    try {
      // Callbacks of an attempt that is no longer the active one (it ended, the node was lost) are late: ignored.
      const current = () => this.active.get(a.run.id) === a;
      handle = await a.backend.launch(req, {
        onPhase: (phase, reason) => {
          if (!current()) return;
          if (!launched) {
            if (phase === 'running') reportedRunning = true;
            else void this.transition(a, phase, reason).catch((e: unknown) => this.o.logger.error({ err: e }, 'transition failed'));
            return;
          }
          void this.transition(a, phase, reason).catch((e: unknown) => this.o.logger.error({ err: e }, 'transition failed'));
        },
        onNote: (message) => { if (current()) this.note(a, message); },
        onWaiting: (reason) => {
          if (!current()) return;
          void this.transition(a, a.status, reason).catch((e: unknown) => this.o.logger.error({ err: e }, 'transition failed'));
        },
        onUnitStarted: () => { if (current()) this.recordExternalId(a); },
        onHealth: (healthy, detail) => {
          if (!current()) return;
          a.health = healthy ? 'healthy' : 'unhealthy';
          a.run = { ...a.run, health: a.health };
          this.note(a, `${a.health}: ${detail}`);
          this.emit(a.run);
        },
      });
    } catch (e) {
      const err = e instanceof Error ? e.message : String(e);
      return this.finish(a, { error: `could not start: ${err}`, nonRetriable: e instanceof RegattaError && e.code === 'backend_error' });
    }
    launched = true;
    a.handle = handle;
    if (reportedRunning) await this.transition(a, 'running', undefined, { externalId: handle.externalId });
    else await this.transition(a, a.status, 'launched', { externalId: handle.externalId });
    this.watch(a, handle);
  }

  private watch(a: Active, handle: RunHandle): void {
    const timeoutMs = a.run.resolved.timeoutMs;
    // A backend that places work itself (Slurm) counts the timeout from when the job runs, not
    // from the hand-off: time pending in its queue is not the run's.
    const external = a.backend.nodes().some((n) => n.name === a.node && n.external);
    if (timeoutMs !== undefined && !external) {
      const elapsed = this.o.clock.now() - (a.run.startedAt ?? this.o.clock.now());
      a.timer = this.o.clock.setTimeout(
        () => this.requestStop(a, { outcome: 'timed_out', reason: `exceeded its timeout of ${timeoutMs / 1000}s` }),
        Math.max(0, timeoutMs - elapsed),
      );
    }
    if (a.stopReason) this.stopHandle(a, handle, a.stopGraceMs ?? this.o.stopGraceMs);
    handle.done.then(
      (info) => this.finish(a, info),
      (e: unknown) => this.finish(a, { error: String(e) }),
    ).catch((e: unknown) => this.o.logger.error({ err: e, runId: a.run.id }, 'finishing an attempt failed'));
  }

  private requestStop(a: Active, why: NonNullable<Active['stopReason']>, graceMs = this.o.stopGraceMs): void {
    if (a.stopReason) return;
    a.stopReason = why;
    a.stopGraceMs = graceMs;
    // Without a handle yet, launch() notices stopReason once the backend answers.
    if (a.handle) this.stopHandle(a, a.handle, graceMs);
  }

  private finish(a: Active, info: ExitInfo): Promise<void> {
    // The attempt has ended: free its resources at once, so the next run starts while this one's
    // outcome is recorded.
    a.timer?.cancel();
    this.active.delete(a.run.id);
    this.finishing.set(a.run.id, a);
    this.requestPass();
    const p = this.record(a, info).finally(() => {
      this.finishing.delete(a.run.id);
      this.bookkeeping.delete(p);
    });
    this.bookkeeping.add(p);
    return p;
  }

  private async record(a: Active, info: ExitInfo): Promise<void> {
    const { run, attempt } = a;
    const paths = attemptPaths(this.o.runsDir, run.id, attempt);
    await recordOutputs(this.o.store, this.o.logger, paths.outputs, run.id, attempt, this.o.clock.now());
    const ended = withStorage(attemptOutcome(a.stopReason, info), await storeAttempt(this.o.storage, this.o.store, run, attempt, paths));
    const { outcome } = ended;
    const now = this.o.clock.now();
    const logTail = await retryLogTail(run.resolved, paths.log);
    const { next: retry, reason } = decideAttempt(run.resolved, outcome, ended.reason, attempt, info, {
      stopping: this.stopping, stopped: a.stopReason !== undefined, ...(logTail !== undefined ? { logTail } : {}),
    });
    const attemptRecord = {
      runId: run.id, attempt, status: outcome as RunStatus, node: a.node, gpus: a.gpus, startedAt: run.startedAt, finishedAt: now,
      ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}), reason,
      ...(a.handle?.externalId ? { externalId: a.handle.externalId } : {}),
    };
    // Another attempt goes back to the queue (after its delay); otherwise the run has ended.
    const patch: RunPatch = retry
      ? { status: 'queued', reason: retry.why, updatedAt: now, notBefore: retry.delayMs ? now + retry.delayMs : undefined, exitCode: info.exitCode }
      : { status: outcome, reason, finishedAt: now, updatedAt: now, exitCode: info.exitCode };
    await this.save({ ...run, status: a.status }, patch, {
      event: { attempt, ts: now, from: a.status, to: patch.status ?? outcome, reason: patch.reason ?? reason },
      attempt: attemptRecord,
    });
    const next: RunRecord = { ...run, ...patch, attempt };
    if (retry && !this.stopping) this.queued.add(next);
    this.emit(next);
    this.requestPass();
  }

  private async recover(run: RunRecord): Promise<void> {
    const attempt = run.attempt;
    const rec = attempt > 0 ? await this.o.store.getAttempt(run.id, attempt) : undefined;
    const backend = this.o.backends.find((b) => b.nodes().some((n) => n.name === run.node)) ?? this.o.backends[0];
    const a: Active = {
      run, attempt, node: run.node ?? '', backend: backend as Backend, gpus: run.gpus ?? [], resources: runFootprint(run.resolved), status: run.status,
    };
    this.active.set(run.id, a);
    let handle: RunHandle | undefined;
    if (backend && rec?.externalId) {
      try {
        handle = await backend.recover(this.launchRequest(a), rec.externalId, {
          // A job that waited in Slurm's queue across the restart still reports its start.
          onPhase: (phase, reason) => {
            if (phase !== a.status) void this.transition(a, phase, reason).catch((e: unknown) => this.o.logger.error({ err: e }, 'transition failed'));
          },
          onWaiting: (reason) => this.note(a, reason),
        });
      } catch (e) {
        this.o.logger.warn({ err: e, runId: run.id }, 're-attaching a run failed');
      }
    }
    if (handle) {
      a.handle = handle;
      this.o.logger.info({ runId: run.id }, 're-attached to a run after restart');
      this.watch(a, handle);
      return;
    }
    a.stopReason = {
      outcome: 'lost',
      reason: `the server stopped while the run was ${run.status}; its ${run.resolved.runtime} could not be re-attached`,
    };
    await this.finish(a, {});
  }

  /** Current in-memory view of a run, or undefined when it is neither queued nor active. */
  live(id: string): RunRecord | undefined {
    return this.queued.get(id) ?? this.active.get(id)?.run ?? this.finishing.get(id)?.run;
  }
}

export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
