import { describe, expect, it } from 'vitest';
import { cliCommand, compareFlat, flatten, formatBytes, formatDuration, formatNumber, formatTime, formatValue, shellQuote } from './format.js';

describe('format', () => {
  it('formats durations and sizes', () => {
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(3_723_000)).toBe('1h 2m');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });

  it('flattens specs and marks the paths that differ', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x', e: {} })).toEqual({ 'a.b': '1', 'a.c': '[1,2]', d: 'x', e: '{}' });
    const rows = compareFlat([{ params: { lr: 0.1 }, name: 'a' }, { params: { lr: 0.01 }, name: 'a', queue: 'gpu' }]);
    expect(rows).toEqual([
      { path: 'name', values: ['a', 'a'], differs: false },
      { path: 'params.lr', values: ['0.1', '0.01'], differs: true },
      { path: 'queue', values: [undefined, 'gpu'], differs: true },
    ]);
  });

  it('builds a CLI command that a shell reads back as the same run', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(cliCommand({ id: 'x', spec: { params: { lr: 0.1, tag: 'a b' } }, template: { name: 'trainer', version: 3 } }, ''))
      .toBe(`regatta template run trainer --at 3 --set params.lr=0.1 --set 'params.tag=a b' --follow`);
    expect(cliCommand({ id: 'x', spec: { command: 'echo hi' } }, 'command: echo hi\n')).toBe(`regatta run --follow -f - <<'EOF'\ncommand: echo hi\nEOF`);
  });
});

describe('numbers and times', () => {
  it('shows numbers one way: integers whole, others to 4 significant digits', () => {
    expect(formatNumber(0.47181234)).toBe('0.4718');
    expect(formatNumber(12345)).toBe('12,345');
    expect(formatNumber(3.14159)).toBe('3.142');
    expect(formatNumber(0.00001234)).toBe('1.234e-5');
    expect(formatNumber(1e-3)).toBe('0.001');
    expect(formatValue(null)).toBe('');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });

  it('always shows a date with a time', () => {
    const now = new Date('2026-12-01T12:00:00');
    expect(formatTime(new Date('2026-12-01T09:05:03').toISOString(), now)).toBe('Dec 1, 09:05:03');
    expect(formatTime(new Date('2025-03-04T09:05:03').toISOString(), now)).toBe('Mar 4, 2025, 09:05');
  });
});
