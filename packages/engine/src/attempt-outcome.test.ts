import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import { attemptOutcome, nextAttempt, shouldRetry } from './attempt-outcome.js';

const policy = { limit: 2, on: ['failed', 'lost', 'timed_out'] as const, delayMs: 0 };

describe('attemptOutcome', () => {
  it('names what ended the attempt', () => {
    expect(attemptOutcome(undefined, { exitCode: 0 })).toEqual({ outcome: 'succeeded', reason: 'exit code 0' });
    expect(attemptOutcome(undefined, { exitCode: 2 })).toEqual({ outcome: 'failed', reason: 'exit code 2' });
    expect(attemptOutcome(undefined, { signal: 'SIGKILL' })).toEqual({ outcome: 'failed', reason: 'killed by SIGKILL' });
    expect(attemptOutcome(undefined, { exitCode: 137, error: 'oom' })).toEqual({ outcome: 'failed', reason: 'oom' });
    expect(attemptOutcome(undefined, { lost: 'node gone' })).toEqual({ outcome: 'lost', reason: 'node gone' });
    expect(attemptOutcome(undefined, { ended: { outcome: 'timed_out', reason: 'Slurm timeout' } })).toEqual({ outcome: 'timed_out', reason: 'Slurm timeout' });
    expect(attemptOutcome({ outcome: 'canceled', reason: 'by user' }, { ended: { outcome: 'timed_out', reason: 'Slurm timeout' } }).outcome).toBe('canceled');
    // A stop the engine asked for wins over what the process reported.
    expect(attemptOutcome({ outcome: 'canceled', reason: 'canceled by user' }, { exitCode: 143 })).toEqual({ outcome: 'canceled', reason: 'canceled by user' });
  });
});

describe('shouldRetry', () => {
  it('retries what the policy names, up to its limit', () => {
    expect(shouldRetry(policy, 'failed', 1, {}, false)).toBe(true);
    expect(shouldRetry(policy, 'failed', 2, {}, false)).toBe(true);
    expect(shouldRetry(policy, 'failed', 3, {}, false)).toBe(false);
    expect(shouldRetry({ ...policy, on: ['lost'] }, 'failed', 1, {}, false)).toBe(false);
  });
  it('never retries success, cancel, or a failure no retry can fix', () => {
    expect(shouldRetry(policy, 'succeeded', 1, {}, false)).toBe(false);
    expect(shouldRetry(policy, 'canceled', 1, {}, false)).toBe(false);
    expect(shouldRetry(policy, 'failed', 1, { nonRetriable: true }, false)).toBe(false);
  });
  it('while shutting down, queues lost attempts again and nothing else', () => {
    expect(shouldRetry(policy, 'lost', 1, {}, true)).toBe(true);
    expect(shouldRetry(policy, 'failed', 1, {}, true)).toBe(false);
  });
});

describe('nextAttempt of a kind: service run', () => {
  const service = (policy: 'on-failure' | 'always' | 'never', maxRestarts = 2) =>
    compileSpec({ kind: 'service', command: 'serve', restart: { policy, max_restarts: maxRestarts, backoff: 1 } }).resolved;
  const run = { stopping: false, stopped: false };
  it('restarts per its policy with a doubling backoff, up to the limit', () => {
    expect(nextAttempt(service('on-failure'), 'failed', 'exit code 1', 1, {}, run)).toEqual({ delayMs: 1000, why: 'failed (exit code 1); restart 1 of 2 in 1s' });
    expect(nextAttempt(service('on-failure'), 'failed', 'exit code 1', 2, {}, run)?.delayMs).toBe(2000);
    expect(nextAttempt(service('on-failure'), 'failed', 'exit code 1', 3, {}, run)).toBeUndefined();
    expect(nextAttempt(service('on-failure'), 'succeeded', 'exit code 0', 1, {}, run)).toBeUndefined();
    expect(nextAttempt(service('always'), 'succeeded', 'exit code 0', 1, {}, run)?.why).toBe('exited (exit code 0); restart 1 of 2 in 1s');
    expect(nextAttempt(service('never'), 'failed', 'exit code 1', 1, {}, run)).toBeUndefined();
  });
  it('does not restart what the engine stopped; on shutdown, comes back only within its policy', () => {
    expect(nextAttempt(service('always'), 'canceled', 'canceled by user', 1, {}, { stopping: false, stopped: true })).toBeUndefined();
    expect(nextAttempt(service('on-failure'), 'lost', 'server stopped', 1, {}, { stopping: true, stopped: true })?.delayMs).toBe(0);
    expect(nextAttempt(service('never'), 'lost', 'server stopped', 1, {}, { stopping: true, stopped: true })).toBeUndefined();
    expect(nextAttempt(service('on-failure'), 'lost', 'server stopped', 3, {}, { stopping: true, stopped: true })).toBeUndefined();
  });
});
