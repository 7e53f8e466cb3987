import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import { attemptOutcome, decideAttempt, nextAttempt, shellExitCode, shouldRetry } from './attempt-outcome.js';

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

describe('decideAttempt of a job with retry rules', () => {
  const job = compileSpec({
    command: 'eval',
    retries: {
      limit: 3,
      rules: [
        { log: 'OutOfMemoryError', action: 'fail' },
        { log: 'create_controller\\(\\) Time out!|Unable to start X Server', action: 'retry' },
        { exit_codes: [137, 143], action: 'retry' },
        { status: ['lost'], action: 'retry' },
        { action: 'fail' },
      ],
    },
  }).resolved;
  const run = { stopping: false, stopped: false };
  it('retries what a retry rule matches, saying which, up to the limit', () => {
    const d = decideAttempt(job, 'failed', 'exit code 1', 2, { exitCode: 1 }, { ...run, logTail: 'x\nERROR create_controller() Time out!\n' });
    expect(d.next).toEqual({ delayMs: 0, why: 'attempt 2 failed (exit code 1); retry 2 of 3: log matched /create_controller\\(\\) Time out!|Unable to start X Server/ ("ERROR create_controller() Time out!")' });
    expect(d.reason).toBe('exit code 1');
    const spent = decideAttempt(job, 'failed', 'exit code 1', 4, { exitCode: 1 }, { ...run, logTail: 'Unable to start X Server' });
    expect(spent.next).toBeUndefined();
    expect(spent.reason).toMatch(/^exit code 1; not retried: log matched .*, but all 3 retries are spent$/);
  });
  it('fails at once on a fail rule, or when no rule matches', () => {
    const oom = decideAttempt(job, 'failed', 'exit code 1', 1, { exitCode: 1 }, { ...run, logTail: 'java.lang.OutOfMemoryError: heap' });
    expect(oom).toEqual({ reason: 'exit code 1; not retried: log matched /OutOfMemoryError/ ("java.lang.OutOfMemoryError: heap")' });
    expect(decideAttempt(job, 'failed', 'exit code 1', 1, { exitCode: 1 }, { ...run, logTail: 'boom' })).toEqual({ reason: 'exit code 1; not retried: rule 5 (matches any failure)' });
    const bare = compileSpec({ command: 'eval', retries: { limit: 3, rules: [{ log: 'flaky', action: 'retry' }] } }).resolved;
    expect(decideAttempt(bare, 'failed', 'exit code 1', 1, { exitCode: 1 }, { ...run, logTail: 'boom' })).toEqual({ reason: 'exit code 1; not retried: no retry rule matched' });
  });
  it('counts a signal as 128 + its number, and matches lost attempts by status', () => {
    expect(shellExitCode({ signal: 'SIGKILL' })).toBe(137);
    expect(shellExitCode({ exitCode: 3, signal: 'SIGKILL' })).toBe(3);
    expect(shellExitCode({})).toBeUndefined();
    expect(decideAttempt(job, 'failed', 'killed by SIGTERM', 1, { signal: 'SIGTERM' }, { ...run, logTail: '' }).next?.why).toMatch(/retry 1 of 3: exit code 143$/);
    expect(decideAttempt(job, 'lost', 'node gone', 1, { lost: 'node gone' }, { ...run, logTail: '' }).next?.why).toMatch(/retry 1 of 3: status lost$/);
  });
  it('never retries success, cancel or a failure no retry can fix, whatever the rules', () => {
    expect(decideAttempt(job, 'succeeded', 'exit code 0', 1, { exitCode: 0 }, { ...run, logTail: 'Unable to start X Server' })).toEqual({ reason: 'exit code 0' });
    expect(decideAttempt(job, 'canceled', 'by user', 1, {}, { ...run, logTail: 'Unable to start X Server' }).next).toBeUndefined();
    expect(decideAttempt(job, 'failed', 'no such file', 1, { nonRetriable: true }, { ...run, logTail: 'Unable to start X Server' }).next).toBeUndefined();
  });
  it('waits per backoff, doubling with jitter', () => {
    const backoff = compileSpec({ command: 'eval', retries: { limit: 3, backoff: '10s', rules: [{ action: 'retry' }] } }).resolved;
    expect(decideAttempt(backoff, 'failed', 'exit code 1', 2, { exitCode: 1 }, { ...run, random: () => 1 }).next?.delayMs).toBe(20_000);
    expect(decideAttempt(backoff, 'failed', 'exit code 1', 2, { exitCode: 1 }, { ...run, random: () => 0 }).next?.why).toMatch(/retry 2 of 3 in 10s: rule 1/);
  });
  it('keeps today\'s behaviour without rules', () => {
    const plain = compileSpec({ command: 'eval', retries: 2 }).resolved;
    expect(decideAttempt(plain, 'failed', 'exit code 1', 1, { exitCode: 1 }, run)).toEqual({ reason: 'exit code 1', next: { delayMs: 0, why: 'attempt 1 failed (exit code 1); retrying, attempt 2 of 3' } });
  });
});
