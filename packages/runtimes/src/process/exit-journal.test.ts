import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendExitRecord, readExitRecord, readExitRecordSync, readStartRecord, writeExitRecord, writeStartRecord } from './exit-journal.js';
import { formatJobId, parseJobId } from './job-id.js';

const dir = mkdtempSync(join(tmpdir(), 'regatta-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('job journal', () => {
  it('round-trips exit and start records', async () => {
    const exit = join(dir, 'exit.json');
    writeExitRecord(exit, { pid: 42, code: 3, signal: null, endedAt: 1700000000000 });
    expect(await readExitRecord(exit)).toEqual({ code: 3, signal: null, endedAt: 1700000000000 });
    expect(readExitRecordSync(exit)).toEqual({ code: 3, signal: null, endedAt: 1700000000000 });
    const start = join(dir, 'job.json');
    writeStartRecord(start, { pid: 42, start: '123', bootId: 'b-1' });
    expect(await readStartRecord(start)).toEqual({ pid: 42, start: '123', bootId: 'b-1' });
  });

  it('reads the start and the exit from one file when the exit is appended to the start', async () => {
    const file = join(dir, 'both.json');
    writeStartRecord(file, { pid: 9, start: '77' });
    expect(await readExitRecord(file)).toBeUndefined();
    appendExitRecord(file, { pid: 9, code: null, signal: 'SIGKILL', endedAt: 1700000000001 });
    expect(await readStartRecord(file)).toEqual({ pid: 9, start: '77' });
    expect(await readExitRecord(file)).toEqual({ code: null, signal: 'SIGKILL', endedAt: 1700000000001 });
    expect(readExitRecordSync(file)).toEqual({ code: null, signal: 'SIGKILL', endedAt: 1700000000001 });
    // An exit line caught half-written is no record yet.
    writeFileSync(file, '{"pid":9,"start":"77"}\n{"pid":9,"code":0,"sig');
    expect(await readExitRecord(file)).toBeUndefined();
    expect(await readStartRecord(file)).toEqual({ pid: 9, start: '77' });
  });

  it('reads a missing, partial or foreign file as no record', async () => {
    expect(await readExitRecord(join(dir, 'none.json'))).toBeUndefined();
    writeFileSync(join(dir, 'half.json'), '{"code": 0, "sig');
    expect(await readExitRecord(join(dir, 'half.json'))).toBeUndefined();
    writeFileSync(join(dir, 'other.json'), '{"code": 0}');
    expect(await readExitRecord(join(dir, 'other.json'))).toBeUndefined();
    expect(await readStartRecord(join(dir, 'other.json'))).toBeUndefined();
  });
});

describe('job ids', () => {
  it('carry pid, start time and boot, and read ids recorded before boot ids were', () => {
    expect(formatJobId({ pid: 7, start: '99', bootId: 'abc' })).toBe('7:99:abc');
    expect(parseJobId('7:99:abc')).toEqual({ pid: 7, start: '99', bootId: 'abc' });
    expect(parseJobId('7:99')).toEqual({ pid: 7, start: '99' });
  });

  it('refuse what cannot name a job of ours', () => {
    for (const bad of ['', 'x:1', '1:5', '0:5', '-3:5', '12']) expect(parseJobId(bad)).toBeUndefined();
  });
});
