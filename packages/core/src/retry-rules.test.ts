import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { matchRetryRule, retryDelayMs, type RetryRule } from './retry-rules.js';
import { compileSpec } from './spec.js';

// Seed 004's pipeline: retry controller time-outs and X server failures, never an OOM, not a bare exit.
const rules: RetryRule[] = [
  { log: 'OutOfMemoryError', action: 'fail' },
  { log: 'create_controller\\(\\) Time out!|Unable to start X Server', action: 'retry' },
  { exit_codes: [137, 143], action: 'retry' },
  { status: ['lost'], action: 'retry' },
  { action: 'fail' },
];

describe('matchRetryRule', () => {
  it('takes the first rule that matches, in order', () => {
    const oom = matchRetryRule(rules, { outcome: 'failed', exitCode: 137, logTail: 'step 1\njava.lang.OutOfMemoryError: Java heap space\n' });
    expect(oom?.index).toBe(0);
    expect(oom?.rule.action).toBe('fail');
    expect(oom?.because).toBe('log matched /OutOfMemoryError/ ("java.lang.OutOfMemoryError: Java heap space")');
    const timeout = matchRetryRule(rules, { outcome: 'failed', exitCode: 1, logTail: 'loading\nERROR create_controller() Time out!\nbye' });
    expect(timeout?.index).toBe(1);
    expect(matchRetryRule(rules, { outcome: 'failed', exitCode: 1, logTail: 'Unable to start X Server' })?.index).toBe(1);
    expect(matchRetryRule(rules, { outcome: 'failed', exitCode: 143, logTail: 'terminated' })).toMatchObject({ index: 2, because: 'exit code 143' });
    expect(matchRetryRule(rules, { outcome: 'lost', logTail: '' })).toMatchObject({ index: 3, because: 'status lost' });
    expect(matchRetryRule(rules, { outcome: 'failed', exitCode: 1, logTail: 'plain failure' })).toMatchObject({ index: 4, rule: { action: 'fail' } });
  });
  it('needs every condition of a rule, and matches nothing when no rule does', () => {
    const both: RetryRule[] = [{ log: 'flaky', exit_codes: [3], action: 'retry' }];
    expect(matchRetryRule(both, { outcome: 'failed', exitCode: 3, logTail: 'flaky disk' })?.because).toBe('exit code 3, log matched /flaky/ ("flaky disk")');
    expect(matchRetryRule(both, { outcome: 'failed', exitCode: 4, logTail: 'flaky disk' })).toBeUndefined();
    expect(matchRetryRule(both, { outcome: 'failed', exitCode: 3, logTail: 'solid' })).toBeUndefined();
    expect(matchRetryRule([{ exit_codes: [1], action: 'retry' }], { outcome: 'failed' })).toBeUndefined();
    expect(matchRetryRule([{ status: ['timed_out'], action: 'retry' }], { outcome: 'failed' })).toBeUndefined();
  });
  it('lets ^ and $ match at line ends', () => {
    expect(matchRetryRule([{ log: '^FATAL$', action: 'fail' }], { outcome: 'failed', logTail: 'a\nFATAL\nb' })?.index).toBe(0);
  });
});

describe('retryDelayMs', () => {
  it('is the fixed delay without backoff', () => {
    expect(retryDelayMs({ limit: 3, on: ['failed'], delayMs: 500 }, 3)).toBe(500);
  });
  it('doubles the backoff per retry, jittered into its upper half, and caps it', () => {
    const p = { limit: 5, on: ['failed'] as const, delayMs: 0, backoffMs: 10_000 };
    expect(retryDelayMs(p, 1, () => 1)).toBe(10_000);
    expect(retryDelayMs(p, 1, () => 0)).toBe(5_000);
    expect(retryDelayMs(p, 3, () => 1)).toBe(40_000);
    expect(retryDelayMs(p, 3, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(p, 20, () => 1)).toBe(600_000);
  });
});

describe('retries in a spec', () => {
  it('compiles rules and backoff', () => {
    const { resolved } = compileSpec({ command: 'x', retries: { limit: 3, backoff: '10s', rules } });
    expect(resolved.retry).toEqual({ limit: 3, on: ['failed', 'lost', 'timed_out'], delayMs: 0, backoffMs: 10_000, rules });
  });
  it('names the field of a bad rule', () => {
    const issues = (spec: unknown) => {
      try {
        compileSpec(spec);
      } catch (e) {
        if (e instanceof SpecError) return e.issues;
      }
      return [];
    };
    expect(issues({ command: 'x', retries: { limit: 1, rules: [{ log: 'a(', action: 'retry' }] } })).toEqual(
      [expect.objectContaining({ path: 'retries.rules[0].log', message: expect.stringContaining('regular expression') })]);
    expect(issues({ command: 'x', retries: { limit: 1, rules: [{ log: 'a', action: 'again' }] } })[0]?.path).toBe('retries.rules[0].action');
    expect(issues({ command: 'x', retries: { limit: 1, rules: [{ exit_codes: [300], action: 'retry' }] } })[0]?.path).toBe('retries.rules[0].exit_codes[0]');
    expect(issues({ command: 'x', retries: { limit: 1, on: ['lost'], rules: [{ action: 'retry' }] } })[0]?.path).toBe('retries.on');
    expect(issues({ command: 'x', retries: { limit: 1, delay: 1, backoff: 2 } })[0]?.path).toBe('retries.backoff');
    expect(issues({ command: 'x', retries: { limit: 1, rules: [{ logs: 'a', action: 'retry' }] } })[0]).toEqual({ path: 'retries.rules[0].logs', message: "unknown field 'logs' (did you mean 'log'?)" });
  });
});
