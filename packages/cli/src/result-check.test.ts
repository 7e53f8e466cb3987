import { describe, expect, it } from 'vitest';
import { failedCheck, parseCheck } from './result-check.js';

const result = { evaluations: { passed: true, score: 0.93, tags: ['a', 'b'] }, status: 'ok' };

describe('result checks', () => {
  it('holds or names what it got', () => {
    expect(failedCheck(parseCheck('evaluations.passed==true'), result)).toBeUndefined();
    expect(failedCheck(parseCheck('evaluations.score >= 0.9'), result)).toBeUndefined();
    expect(failedCheck(parseCheck('status==ok'), result)).toBeUndefined();
    expect(failedCheck(parseCheck('evaluations.tags[1]=="b"'), result)).toBeUndefined();
    expect(failedCheck(parseCheck('evaluations.score>0.95'), result)).toBe('evaluations.score>0.95: got 0.93');
    expect(failedCheck(parseCheck('evaluations.passed!=true'), result)).toBe('evaluations.passed!=true: got true');
    expect(failedCheck(parseCheck('nope.x==1'), result)).toBe('nope.x==1: the result has no nope.x');
    expect(failedCheck(parseCheck('status>1'), result)).toBe('status>1: > compares numbers, got "ok"');
  });
  it('refuses what is not PATH OP VALUE', () => {
    expect(() => parseCheck('passed')).toThrow(/expected PATH OP VALUE/);
  });
});
