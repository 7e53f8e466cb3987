/** The Runtime port: how one attempt of a run executes on one node. */
import type { ResolvedSpec } from '@regatta/core';

export interface AttemptPaths {
  /** Per-attempt directory on the server. */
  dir: string;
  /** $REGATTA_OUTPUTS as seen by the server; holds every artifact once the attempt is done. */
  outputs: string;
  /** The attempt's log file; the runtime appends stdout and stderr to it, in order. */
  log: string;
}

export interface LaunchRequest {
  runId: string;
  attempt: number;
  spec: ResolvedSpec;
  /** Variables Regatta adds (REGATTA_*, CUDA_VISIBLE_DEVICES...), on top of spec.env. */
  env: Record<string, string>;
  paths: AttemptPaths;
  node: string;
  gpus: number[];
  /** The fan-out group the run is an item of (a backend may submit items together, e.g. a Slurm array). */
  group?: { id: string; maxParallel?: number };
}

export type Phase = 'building' | 'running' | 'cleanup';

export interface LaunchHooks {
  /** The attempt moved to a new phase (the runtime decides when the command actually runs). */
  onPhase(phase: Phase, reason?: string): void;
  /** Something worth a line in the run's timeline (a service became healthy). */
  onNote?(message: string): void;
  /** A service of the attempt has started: its externalId now names one more unit (worth storing). */
  onUnitStarted?(): void;
  /** Health of a long-running main task changed (it has a health check). */
  onHealth?(healthy: boolean, detail: string): void;
  /** Why the attempt waits outside Regatta (Slurm's pending reason): the run's reason and a timeline line. */
  onWaiting?(reason: string): void;
}

export interface ExitInfo {
  /** Process exit status; undefined when killed by a signal or never started. */
  exitCode?: number;
  signal?: string;
  /** Why the attempt failed when there is no exit status to tell (spawn error, OOM...). */
  error?: string;
  /** A failure that no retry can fix (missing executable, bad workdir). */
  nonRetriable?: boolean;
  /** The attempt could no longer be followed (its engine or supervisor went away): it ends `lost`. */
  lost?: string;
  /** The backend itself ended the attempt (Slurm's time limit, a cancel outside Regatta). */
  ended?: { outcome: 'canceled' | 'timed_out'; reason: string };
  /** When it ended, where the runtime knows better than "now" (an exit collected after a restart). */
  endedAt?: number;
  /**
   * Found after a restart, the attempt had never started (the server died first): nothing of it
   * ran, so it is queued again as the same attempt rather than lost.
   */
  notStarted?: boolean;
}

/** A started attempt: poll it through `done`, stop it, find it again by `externalId`. */
export interface RunHandle {
  /** Backend-specific id (pid and start time, container id, Slurm job id), stored for re-attach. */
  readonly externalId: string;
  /** Settles once the attempt has ended and its outputs are under `paths.outputs`. Never rejects. */
  readonly done: Promise<ExitInfo>;
  /** Asks the attempt to stop (SIGTERM or equivalent), then forces it after `graceMs`. Never rejects. */
  stop(graceMs: number): Promise<void>;
  /**
   * Present when the attempt outlives the server (a container): stop following it without stopping
   * it; `done` then never settles, and the next server re-attaches through `recover`.
   */
  detach?(): void;
  /** Where the attempt's declared ports are reachable from the server (`host:port`), once known. */
  endpoints?(): Record<number, string>;
}

export interface Runtime {
  readonly name: string;
  start(req: LaunchRequest, hooks: LaunchHooks): Promise<RunHandle>;
  /**
   * After a server restart: re-attach to the attempt if it can be followed again (its `done` then
   * reports how it ended, even when that was while the server was down), else clean up whatever is
   * left of it and return undefined (the engine then marks the attempt lost). `hooks` get the
   * attempt's health watch back.
   */
  recover(req: LaunchRequest, externalId: string, hooks?: LaunchHooks): Promise<RunHandle | undefined>;
  /**
   * After recovery at start: removes what is left of attempts that `stray` says are this server's
   * and not active (containers of attempts given up while the server was down); what belongs to
   * another server sharing the engine is left alone. Returns how many attempts it cleaned up.
   */
  sweep?(stray: (runId: string, attempt: number) => Promise<boolean>): Promise<number>;
}
