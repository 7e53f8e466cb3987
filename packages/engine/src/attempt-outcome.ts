/** How an attempt ended, and whether the run gets another one: pure decisions, tested on their own. */
import type { AttemptOutcome, RetryPolicy } from '@regatta/core';
import type { ExitInfo } from '@regatta/runtimes';

export interface StopReason {
  outcome: 'canceled' | 'timed_out' | 'lost';
  reason: string;
}

export function attemptOutcome(stop: StopReason | undefined, info: ExitInfo): { outcome: AttemptOutcome; reason: string } {
  if (stop) return stop;
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
