/**
 * The contract every backend keeps, driven through the public API of a real server: a backend is
 * tested by calling `backendContract` in its own test file with a server bound to it.
 *
 *   backendContract('slurm', () => ({ api: t.api, spec: (s) => ({ ...s, backend: 'slurm' }) }));
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegattaClient } from '@regatta/sdk';
import { ROOT, readAll, waitFor } from './helpers.js';

export interface ContractTarget {
  api: RegattaClient;
  /** Binds a spec to the backend under test. */
  spec(s: Record<string, unknown>): Record<string, unknown>;
}

export function backendContract(name: string, target: () => ContractTarget): void {
  const end = async (s: Record<string, unknown>) => {
    const { api, spec } = target();
    const { id } = await api.submit(spec(s));
    return api.waitForRun(id, { intervalMs: 100, timeoutMs: 60_000 });
  };

  describe(`backend contract: ${name}`, () => {
    it('runs a command to success, with its log and exit code', async () => {
      const run = await end({ command: 'echo "hello $REGATTA_RUN_ID"; echo warn >&2' });
      expect(run).toMatchObject({ status: 'succeeded', exitCode: 0 });
      expect((await readAll(await target().api.logs(run.id))).split('\n').sort()).toEqual(['', `hello ${run.id}`, 'warn']);
    });

    it('ends a failing command failed, with its exit code', async () => {
      expect(await end({ command: 'echo bad; exit 3' })).toMatchObject({ status: 'failed', exitCode: 3, reason: 'exit code 3' });
    });

    it('cancels a running run', async () => {
      const { api, spec } = target();
      const { id } = await api.submit(spec({ command: 'echo up; sleep 60' }));
      await waitFor('the run to log', async () => (await readAll(await api.logs(id))).includes('up'), 30_000);
      await api.cancel(id);
      expect(await api.waitForRun(id, { intervalMs: 100, timeoutMs: 30_000 })).toMatchObject({ status: 'canceled', reason: 'canceled by admin' });
    });

    it('times a run out', async () => {
      const run = await end({ command: 'sleep 60', timeout: '1s' });
      expect(run).toMatchObject({ status: 'timed_out', reason: 'exceeded its timeout of 1s' });
    });

    it('takes metrics and a result over HTTP, and artifacts and reports through $REGATTA_OUTPUTS', async () => {
      const py = join(ROOT, 'packages/sdk/python');
      const script = `import sys; sys.path.insert(0, "${py}"); import regatta_job as r; r.metric("acc", 0.5, step=1); r.result({"ok": True})`;
      const http = await end({ command: ['python3', '-c', script] });
      expect(http).toMatchObject({ status: 'succeeded', result: { ok: true } });
      expect(http.metrics.acc).toMatchObject({ value: 0.5, step: 1 });
      const files = await end({
        command: 'mkdir -p $REGATTA_OUTPUTS/model && echo w > $REGATTA_OUTPUTS/model/w.bin && echo \'{"name":"loss","value":0.25}\' > $REGATTA_OUTPUTS/metrics.jsonl',
      });
      expect(files.status).toBe('succeeded');
      expect(files.metrics.loss?.value).toBe(0.25);
      expect(files.artifacts.map((a) => a.path)).toEqual(['metrics.jsonl', 'model/w.bin']);
    });
  });
}
