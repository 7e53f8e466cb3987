/** How an attempt ended, and whether the run gets another one: pure decisions, tested on their own. */
import { restartDelayMs, type AttemptOutcome, type ResolvedSpec, type RetryPolicy } from '@regatta/core';
import type { ExitInfo } from '@regatta/runtimes';

export interface StopReason {
  /** `succeeded`: an operator (or a posted result) finished the run. */
  outcome: 'canceled' | 'timed_out' | 'lost' | 'succeeded';
  reason: string;
}

export function attemptOutcome(stop: StopReason | undefined, info: ExitInfo): { outcome: AttemptOutcome; reason: string } {
  if (stop) return stop;
  if (info.ended) return info.ended;
  if (info.lost) return { outcome: 'lost', reason: info.lost };
  if (info.error) return { outcome: 'failed', reason: info.error };
  if (info.exitCode === 0) return { outcome: 'succeeded', reason: 'exit code 0' };
  if (info.exitCode !== undefined) return { outcome: 'failed', reason: `exit code ${info.exitCode}` };
  return { outcome: 'failed', reason: `killed by ${info.signal ?? 'a signal'}` };
}

/**
 * Whether attempt number `attempt` that ended with `outcome` is followed by another. While the
 * server shuts down, only `lost` attempts are (they are queued again for the next start).
 */
export function shouldRetry(policy: RetryPolicy, outcome: AttemptOutcome, attempt: number, info: ExitInfo, stopping: boolean): boolean {
  if (info.nonRetriable || outcome === 'succeeded' || outcome === 'canceled') return false;
  if (!policy.on.includes(outcome) || attempt > policy.limit) return false;
  return !stopping || outcome === 'lost';
}

export interface NextAttempt {
  delayMs: number;
  why: string;
}

/**
 * Whether the run gets another attempt, when, and why: jobs follow `retries`; kind: service runs
 * follow `restart` (with backoff), unless the engine itself stopped them (cancel, finish, timeout).
 */
export function nextAttempt(
  spec: ResolvedSpec, outcome: AttemptOutcome, reason: string, attempt: number, info: ExitInfo, o: { stopping: boolean; stopped: boolean },
): NextAttempt | undefined {
  const restart = spec.restart;
  if (spec.kind !== 'service' || !restart) {
    if (!shouldRetry(spec.retry, outcome, attempt, info, o.stopping)) return undefined;
    return { delayMs: spec.retry.delayMs, why: `attempt ${attempt} ${outcome} (${reason}); retrying, attempt ${attempt + 1} of ${spec.retry.limit + 1}` };
  }
  if (restart.policy === 'never' || info.nonRetriable || attempt > restart.maxRestarts) return undefined;
  // The server going down is not the service's failure: it comes back with the next start.
  if (o.stopping) return outcome === 'lost' ? { delayMs: 0, why: `attempt ${attempt} lost (${reason}); restarting on the next start` } : undefined;
  if (o.stopped && outcome !== 'lost') return undefined;
  if (outcome === 'succeeded' ? restart.policy !== 'always' : outcome !== 'failed' && outcome !== 'lost') return undefined;
  const delayMs = restartDelayMs(restart, attempt);
  return { delayMs, why: `${outcome === 'succeeded' ? 'exited' : outcome} (${reason}); restart ${attempt} of ${restart.maxRestarts} in ${Math.round(delayMs / 100) / 10}s` };
}
