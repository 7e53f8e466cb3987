/**
 * The lifecycle of one attempt: launch it on a backend, watch it (phases, health, timeout), stop it,
 * record how it ended, and after a server restart find it again. An ended attempt is recorded one
 * way, whether it ended while the server watched or while it was down (its runtime then reports the
 * real exit status and end time it journaled).
 */
import { RegattaError, runFootprint, type AttemptRecord, type RunRecord, type RunStatus, type ResolvedResources } from '@regatta/core';
import type { Backend } from '@regatta/backends';
import type { ExitInfo, LaunchRequest, RunHandle } from '@regatta/runtimes';
import { applyRunPatch, type NewEvent, type RunPatch } from '@regatta/store';
import { recordOutputs } from './reports.js';
import { attemptOutcome, decideAttempt, type StopReason } from './attempt-outcome.js';
import { retryLogTail } from './log-tail.js';
import { storeAttempt, withStorage } from './attempt-storage.js';
import type { GroupBook } from './group-book.js';
import { attemptEnv, attemptPaths } from './attempt-env.js';
import type { EngineOptions } from './engine.js';

export interface Active {
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

/** An attempt that a change ended: its outcome and when it started and ended (ms). */
export interface EndedAttempt {
  outcome: RunStatus;
  startedAt?: number;
  finishedAt: number;
}

/** What the lifecycle needs of the engine: its options, its maps, and how it writes and wakes. */
export interface LifecycleDeps {
  o: EngineOptions;
  active: Map<string, Active>;
  /** Attempts that ended and whose outcome is being recorded; their resources are already free. */
  finishing: Map<string, Active>;
  bookkeeping: Set<Promise<void>>;
  groups: GroupBook;
  save(before: RunRecord, patch: RunPatch, also?: { event?: NewEvent; attempt?: AttemptRecord }): Promise<void>;
  /** Tells listeners of a change; `ended` when it ended an attempt. */
  emit(run: RunRecord, ended?: EndedAttempt): void;
  requestPass(): void;
  /** Puts a run back in the queue for its next attempt. */
  requeue(run: RunRecord): void;
  stopping(): boolean;
}

export class AttemptLifecycle {
  /** Launches in flight (handed to a backend, no handle yet). */
  private readonly launching = new Set<Promise<void>>();

  constructor(private readonly d: LifecycleDeps) {}

  /** Waits (at most `ms`) for the launches in flight to hand back their handles. */
  async launched(ms: number): Promise<void> {
    if (!this.launching.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.launching), new Promise((r) => { timer = setTimeout(r, ms); })]);
    clearTimeout(timer);
  }

  private get active() { return this.d.active; }
  private get finishing() { return this.d.finishing; }
  private get bookkeeping() { return this.d.bookkeeping; }

  launchRequest(a: Active): LaunchRequest {
    const { run, attempt } = a;
    const paths = attemptPaths(this.d.o.runsDir, run.id, attempt);
    const env = attemptEnv({
      runId: run.id, attempt, node: a.node, gpus: a.gpus, cpus: run.resolved.resources.cpus, apiUrl: this.d.o.apiUrl(), secret: this.d.o.secret, outputs: paths.outputs,
      datasets: run.resolved.datasets.map((d) => ({ name: d.name, path: run.resolved.runtime === 'docker' ? d.target : d.source ?? '' })),
      nodeHasGpus: a.backend.nodes().some((n) => n.name === a.node && n.total.gpus > 0),
      proxiedPorts: run.resolved.ports.map((p) => p.port),
      ...(this.d.o.proxyPath ? { proxyPath: this.d.o.proxyPath } : {}),
    });
    const group = run.groupId !== undefined ? this.d.groups.get(run.groupId) : undefined;
    return {
      runId: run.id, attempt, spec: run.resolved, env, paths, node: a.node, gpus: a.gpus,
      ...(group ? { group: { id: group.id, ...(group.maxParallel !== undefined ? { maxParallel: group.maxParallel } : {}) } } : {}),
    };
  }


  async transition(a: Active, to: RunStatus, reason: string | undefined, extra: { externalId?: string } = {}): Promise<void> {
    const now = this.d.o.clock.now();
    const from = a.status;
    const before = { ...a.run, status: from };
    a.status = to;
    a.run = { ...a.run, status: to, updatedAt: now, ...(reason ? { reason } : {}) };
    await this.d.save(before, { status: to, updatedAt: now, ...(reason ? { reason } : {}) }, {
      event: { attempt: a.attempt, ts: now, from, to, ...(reason ? { reason } : {}) },
      attempt: {
        runId: a.run.id, attempt: a.attempt, status: to, node: a.node, gpus: a.gpus, ...(a.run.startedAt !== undefined ? { startedAt: a.run.startedAt } : {}),
        ...(extra.externalId !== undefined ? { externalId: extra.externalId } : a.handle?.externalId ? { externalId: a.handle.externalId } : {}),
      },
    });
    this.d.emit(a.run);
  }

  /** Asks an attempt to stop; a handle that fails to (it should not) is logged, never an unhandled rejection. */
  stopHandle(a: Active, handle: RunHandle, graceMs: number): void {
    handle.stop(graceMs).catch((e: unknown) => this.d.o.logger.error({ err: e, runId: a.run.id }, 'stopping an attempt failed'));
  }

  /**
   * Stores the attempt's current external id (it grows as an attempt's services start), so that
   * after a crash the next server can stop everything the attempt started.
   */
  recordExternalId(a: Active): void {
    const externalId = a.handle?.externalId;
    if (!externalId) return;
    const now = this.d.o.clock.now();
    this.d.o.store.updateRun(a.run.id, { updatedAt: now }, {
      attempt: { runId: a.run.id, attempt: a.attempt, status: a.status, node: a.node, gpus: a.gpus, ...(a.run.startedAt !== undefined ? { startedAt: a.run.startedAt } : {}), externalId },
    }).catch((e: unknown) => this.d.o.logger.error({ err: e, runId: a.run.id }, 'recording an attempt id failed'));
  }

  /** A line in the run's timeline that does not change its status. */
  note(a: Active, reason: string): void {
    const now = this.d.o.clock.now();
    this.d.o.store.addEvent(a.run.id, { attempt: a.attempt, ts: now, from: a.status, to: a.status, reason })
      .catch((e: unknown) => this.d.o.logger.error({ err: e, runId: a.run.id }, 'recording an event failed'));
  }

  launch(a: Active): Promise<void> {
    const p = this.launchAttempt(a).finally(() => this.launching.delete(p));
    this.launching.add(p);
    return p;
  }

  private async launchAttempt(a: Active): Promise<void> {
    const now = this.d.o.clock.now();
    const startedAt = now;
    const before = a.run;
    a.run = { ...a.run, status: 'starting', attempt: a.attempt, node: a.node, gpus: a.gpus, startedAt, updatedAt: now };
    await this.d.save(before, {
      status: 'starting', attempt: a.attempt, node: a.node, gpus: a.gpus, startedAt, updatedAt: now, notBefore: null,
    }, {
      event: { attempt: a.attempt, ts: now, from: 'queued', to: 'starting', reason: `placed on ${a.node}${a.gpus.length ? ` with GPUs ${a.gpus.join(',')}` : ''}` },
      attempt: { runId: a.run.id, attempt: a.attempt, status: 'starting', node: a.node, gpus: a.gpus, startedAt },
    });
    this.d.emit(a.run);
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
            else void this.transition(a, phase, reason).catch((e: unknown) => this.d.o.logger.error({ err: e }, 'transition failed'));
            return;
          }
          void this.transition(a, phase, reason).catch((e: unknown) => this.d.o.logger.error({ err: e }, 'transition failed'));
        },
        onNote: (message) => { if (current()) this.note(a, message); },
        onWaiting: (reason) => {
          if (!current()) return;
          void this.transition(a, a.status, reason).catch((e: unknown) => this.d.o.logger.error({ err: e }, 'transition failed'));
        },
        onUnitStarted: () => { if (current()) this.recordExternalId(a); },
        onHealth: (healthy, detail) => { if (current()) this.health(a, healthy, detail); },
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

  watch(a: Active, handle: RunHandle): void {
    const timeoutMs = a.run.resolved.timeoutMs;
    // A backend that places work itself (Slurm) counts the timeout from when the job runs, not
    // from the hand-off: time pending in its queue is not the run's.
    const external = a.backend.nodes().some((n) => n.name === a.node && n.external);
    if (timeoutMs !== undefined && !external) {
      const elapsed = this.d.o.clock.now() - (a.run.startedAt ?? this.d.o.clock.now());
      a.timer = this.d.o.clock.setTimeout(
        () => this.requestStop(a, { outcome: 'timed_out', reason: `exceeded its timeout of ${timeoutMs / 1000}s` }),
        Math.max(0, timeoutMs - elapsed),
      );
    }
    if (a.stopReason) this.stopHandle(a, handle, a.stopGraceMs ?? this.d.o.stopGraceMs);
    handle.done.then(
      (info) => this.finish(a, info),
      (e: unknown) => this.finish(a, { error: String(e) }),
    ).catch((e: unknown) => this.d.o.logger.error({ err: e, runId: a.run.id }, 'finishing an attempt failed'));
  }

  requestStop(a: Active, why: NonNullable<Active['stopReason']>, graceMs = this.d.o.stopGraceMs): void {
    if (a.stopReason) return;
    a.stopReason = why;
    a.stopGraceMs = graceMs;
    // Without a handle yet, launch() notices stopReason once the backend answers.
    if (a.handle) this.stopHandle(a, a.handle, graceMs);
  }

  finish(a: Active, info: ExitInfo): Promise<void> {
    // The attempt has ended: free its resources at once, so the next run starts while this one's
    // outcome is recorded.
    a.timer?.cancel();
    this.active.delete(a.run.id);
    this.finishing.set(a.run.id, a);
    this.d.requestPass();
    const p = this.record(a, info).finally(() => {
      this.finishing.delete(a.run.id);
      this.bookkeeping.delete(p);
    });
    this.bookkeeping.add(p);
    return p;
  }

  private health(a: Active, healthy: boolean, detail: string): void {
    a.health = healthy ? 'healthy' : 'unhealthy';
    a.run = { ...a.run, health: a.health };
    this.note(a, `${a.health}: ${detail}`);
    this.d.emit(a.run);
  }

  /**
   * Records how an attempt ended and what follows (a retry, or the run's end). The one way an
   * ended attempt is recorded, whether it ended while the server watched or while it was down.
   */
  async record(a: Active, info: ExitInfo): Promise<void> {
    if (info.notStarted && !a.stopReason) return this.requeueUnstarted(a);
    const { run, attempt } = a;
    const paths = attemptPaths(this.d.o.runsDir, run.id, attempt);
    // Taken first: the attempt ended now, not once its outputs are recorded and stored.
    const endedNow = this.d.o.clock.now();
    // An exit collected after a restart keeps the time it really happened.
    const ended = info.endedAt !== undefined && info.endedAt <= endedNow && info.endedAt >= (run.startedAt ?? 0) ? info.endedAt : endedNow;
    await recordOutputs(this.d.o.store, this.d.o.logger, paths.outputs, run.id, attempt, endedNow);
    const stored = withStorage(attemptOutcome(a.stopReason, info), await storeAttempt(this.d.o.storage, this.d.o.store, run, attempt, paths));
    const { outcome } = stored;
    const logTail = await retryLogTail(run.resolved, paths.log);
    const { next: retry, reason } = decideAttempt(run.resolved, outcome, stored.reason, attempt, info, {
      stopping: this.d.stopping(), stopped: a.stopReason !== undefined, ...(logTail !== undefined ? { logTail } : {}),
    });
    const now = this.d.o.clock.now();
    const attemptRecord = {
      runId: run.id, attempt, status: outcome as RunStatus, node: a.node, gpus: a.gpus, ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}), finishedAt: ended,
      ...(info.exitCode !== undefined ? { exitCode: info.exitCode } : {}), reason,
      ...(a.handle?.externalId ? { externalId: a.handle.externalId } : {}),
    };
    // Another attempt goes back to the queue (after its delay); otherwise the run has ended.
    const patch: RunPatch = retry
      ? { status: 'queued', reason: retry.why, updatedAt: now, notBefore: retry.delayMs ? now + retry.delayMs : null, exitCode: info.exitCode ?? null }
      : { status: outcome, reason, finishedAt: ended, updatedAt: now, exitCode: info.exitCode ?? null };
    await this.d.save({ ...run, status: a.status }, patch, {
      event: { attempt, ts: ended, from: a.status, to: patch.status ?? outcome, reason: patch.reason ?? reason },
      attempt: attemptRecord,
    });
    // The health of an ended attempt says nothing of the next one.
    const { health: _health, ...rest } = run;
    const next: RunRecord = { ...applyRunPatch(rest, patch), attempt };
    if (retry && !this.d.stopping()) this.d.requeue(next);
    this.d.emit(next, { outcome: attemptRecord.status, ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}), finishedAt: ended });
    this.d.requestPass();
  }

  /** An attempt the server recorded but never started (it died first): queued again under the same number. */
  private async requeueUnstarted(a: Active): Promise<void> {
    const { run, attempt } = a;
    const now = this.d.o.clock.now();
    const reason = `the server stopped before attempt ${attempt} started; queued again`;
    const patch: RunPatch = { status: 'queued', reason, attempt: attempt - 1, updatedAt: now, startedAt: null };
    await this.d.save({ ...run, status: a.status }, patch, { event: { attempt, ts: now, from: a.status, to: 'queued', reason } });
    const next = applyRunPatch(run, patch);
    this.d.requeue(next);
    this.d.emit(next);
    this.d.requestPass();
  }

  /**
   * After a restart: finds an attempt that was active again. Its backend re-attaches it (still
   * running: watched as before, timeout counted from its start; ended meanwhile: collected with its
   * real outcome) or cannot (marked lost, with the reason).
   */
  async recover(run: RunRecord): Promise<void> {
    const attempt = run.attempt;
    const rec = attempt > 0 ? await this.d.o.store.getAttempt(run.id, attempt) : undefined;
    const backend = this.d.o.backends.find((b) => b.nodes().some((n) => n.name === run.node)) ?? this.d.o.backends[0];
    const a: Active = {
      run, attempt, node: run.node ?? '', backend: backend as Backend, gpus: run.gpus ?? [], resources: runFootprint(run.resolved), status: run.status,
    };
    this.active.set(run.id, a);
    let handle: RunHandle | undefined;
    let failure: string | undefined;
    // Without a stored id the runtime may still know the attempt (the process supervisor journals
    // each start), so it is always asked: an attempt that may still run is never started again.
    if (backend && rec) {
      try {
        const current = () => this.active.get(a.run.id) === a;
        handle = await backend.recover(this.launchRequest(a), rec.externalId ?? '', {
          // Phases only move forward; a job that waited in Slurm's queue across the restart still reports its start.
          onPhase: (phase, reason) => {
            if (!current() || PHASE_ORDER[phase] <= PHASE_ORDER[a.status]) return;
            void this.transition(a, phase, reason).catch((e: unknown) => this.d.o.logger.error({ err: e }, 'transition failed'));
          },
          onWaiting: (reason) => { if (current()) this.note(a, reason); },
          onNote: (message) => { if (current()) this.note(a, message); },
          onHealth: (healthy, detail) => { if (current()) this.health(a, healthy, detail); },
        });
      } catch (e) {
        failure = e instanceof Error ? e.message : String(e);
        this.d.o.logger.warn({ err: e, runId: run.id }, 're-attaching a run failed');
      }
    }
    if (handle) {
      a.handle = handle;
      this.d.o.logger.info({ runId: run.id }, 're-attached to a run after restart');
      this.note(a, 're-attached after a server restart');
      this.watch(a, handle);
      return;
    }
    a.stopReason = {
      outcome: 'lost',
      reason: `the server stopped while the run was ${run.status}; ${
        !rec ? 'its attempt was never recorded as started'
          : failure ? `re-attaching its ${run.resolved.runtime} failed: ${failure}`
            : `its ${run.resolved.runtime} ${rec.externalId ? 'could not be re-attached (it is gone, or its runtime cannot follow it again)' : 'had not started'}`}`,
    };
    await this.finish(a, {});
  }
}

/** Where each active status stands in an attempt's life; a re-attached attempt only moves forward. */
const PHASE_ORDER: Record<RunStatus, number> = {
  queued: 0, starting: 1, building: 2, running: 3, cleanup: 4, succeeded: 5, failed: 5, canceled: 5, timed_out: 5, lost: 5,
};
