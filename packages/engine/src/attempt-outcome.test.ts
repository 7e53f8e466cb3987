import { describe, expect, it } from 'vitest';
import { attemptOutcome, shouldRetry } from './attempt-outcome.js';

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
