/** How an attempt ended, and whether the run gets another one: pure decisions, tested on their own. */
import { constants } from 'node:os';
import {
  matchRetryRule, restartDelayMs, retryDelayMs, type AttemptOutcome, type ResolvedSpec, type RetryOutcome, type RetryPolicy,
} from '@regatta/core';
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

/** The exit code a shell would report: 128 + the signal's number for a job killed by a signal. */
export function shellExitCode(info: ExitInfo): number | undefined {
  if (info.exitCode !== undefined) return info.exitCode;
  const n = info.signal !== undefined ? (constants.signals as Record<string, number | undefined>)[info.signal] : undefined;
  return n !== undefined ? 128 + n : undefined;
}

export interface AttemptContext {
  /** The server is shutting down. */
  stopping: boolean;
  /** The engine itself stopped the attempt (cancel, finish, timeout). */
  stopped: boolean;
  /** The end of the attempt's log, read only when a retry rule looks at it. */
  logTail?: string;
  random?: () => number;
}

export interface AttemptDecision {
  next?: NextAttempt;
  /** The attempt's reason, with the retry rule that decided it when there are rules. */
  reason: string;
}

const isRetryOutcome = (o: AttemptOutcome): o is RetryOutcome => o === 'failed' || o === 'lost' || o === 'timed_out';

/** A job's next attempt under `retries` with `rules`: the first matching rule decides, within `limit`. */
function decideByRules(
  policy: RetryPolicy & { rules: NonNullable<RetryPolicy['rules']> }, outcome: AttemptOutcome, reason: string, attempt: number, info: ExitInfo, o: AttemptContext,
): AttemptDecision {
  if (info.nonRetriable || !isRetryOutcome(outcome)) return { reason };
  const exitCode = shellExitCode(info);
  const match = matchRetryRule(policy.rules, { outcome, ...(exitCode !== undefined ? { exitCode } : {}), ...(o.logTail !== undefined ? { logTail: o.logTail } : {}) });
  if (!match) return { reason: `${reason}; not retried: no retry rule matched` };
  if (match.rule.action === 'fail') return { reason: `${reason}; not retried: ${match.because}` };
  if (attempt > policy.limit) return { reason: `${reason}; not retried: ${match.because}, but all ${policy.limit} retries are spent` };
  if (o.stopping && outcome !== 'lost') return { reason };
  const delayMs = o.stopping ? 0 : retryDelayMs(policy, attempt, o.random);
  const wait = delayMs ? ` in ${Math.round(delayMs / 100) / 10}s` : '';
  return { reason, next: { delayMs, why: `attempt ${attempt} ${outcome} (${reason}); retry ${attempt} of ${policy.limit}${wait}: ${match.because}` } };
}

/**
 * Whether the run gets another attempt, when, and why: jobs follow `retries` (its `rules` when it
 * has them); kind: service runs follow `restart` (with backoff), unless the engine itself stopped
 * them (cancel, finish, timeout).
 */
export function decideAttempt(spec: ResolvedSpec, outcome: AttemptOutcome, reason: string, attempt: number, info: ExitInfo, o: AttemptContext): AttemptDecision {
  const restart = spec.restart;
  if (spec.kind !== 'service' || !restart) {
    const rules = spec.retry.rules;
    if (rules) return decideByRules({ ...spec.retry, rules }, outcome, reason, attempt, info, o);
    if (!shouldRetry(spec.retry, outcome, attempt, info, o.stopping)) return { reason };
    const delayMs = retryDelayMs(spec.retry, attempt, o.random);
    return { reason, next: { delayMs, why: `attempt ${attempt} ${outcome} (${reason}); retrying, attempt ${attempt + 1} of ${spec.retry.limit + 1}` } };
  }
  const next = nextRestart(restart, outcome, reason, attempt, info, o);
  return next ? { reason, next } : { reason };
}

function nextRestart(
  restart: NonNullable<ResolvedSpec['restart']>, outcome: AttemptOutcome, reason: string, attempt: number, info: ExitInfo, o: AttemptContext,
): NextAttempt | undefined {
  if (restart.policy === 'never' || info.nonRetriable || attempt > restart.maxRestarts) return undefined;
  // The server going down is not the service's failure: it comes back with the next start.
  if (o.stopping) return outcome === 'lost' ? { delayMs: 0, why: `attempt ${attempt} lost (${reason}); restarting on the next start` } : undefined;
  if (o.stopped && outcome !== 'lost') return undefined;
  if (outcome === 'succeeded' ? restart.policy !== 'always' : outcome !== 'failed' && outcome !== 'lost') return undefined;
  const delayMs = restartDelayMs(restart, attempt);
  return { delayMs, why: `${outcome === 'succeeded' ? 'exited' : outcome} (${reason}); restart ${attempt} of ${restart.maxRestarts} in ${Math.round(delayMs / 100) / 10}s` };
}

/** `decideAttempt` without the reason. */
export function nextAttempt(
  spec: ResolvedSpec, outcome: AttemptOutcome, reason: string, attempt: number, info: ExitInfo, o: AttemptContext,
): NextAttempt | undefined {
  return decideAttempt(spec, outcome, reason, attempt, info, o).next;
}
