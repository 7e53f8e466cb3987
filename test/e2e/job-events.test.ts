/** A job's own lines in its run's timeline: POST /api/v1/runs/{id}/events with the run token, shown by `regatta show`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, runCli, startTestServer, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 2 } });
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, token: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('job events', () => {
  it('records a job\'s event in its timeline without changing its status, and refuses bad input naming the field', async () => {
    // The job posts with its own token (as @regatta/sdk reportEvent does), then shows what it got back.
    const script = `
      const u = process.env.REGATTA_API_URL + '/api/v1/runs/' + process.env.REGATTA_RUN_ID + '/events';
      const h = { authorization: 'Bearer ' + process.env.REGATTA_RUN_TOKEN, 'content-type': 'application/json' };
      const ok = await fetch(u, { method: 'POST', headers: h, body: JSON.stringify({ message: 'ALERT vessel 228946000' }) });
      const bad = await fetch(u, { method: 'POST', headers: h, body: JSON.stringify({ message: '' }) });
      console.log(ok.status, bad.status, JSON.stringify((await bad.json()).errors));`;
    const { id } = await t.api.submit({ command: ['node', '--input-type=module', '-e', script] });
    const run = await t.api.waitForRun(id, { intervalMs: 50 });
    expect(run.status).toBe('succeeded');
    const log = await waitFor('the log', async () => (await (await t.api.logs(id)).getReader().read()).value);
    expect(new TextDecoder().decode(log)).toMatch(/^201 400 \[\{"path":"message",/);
    const events = (await t.api.events(id)).items;
    expect(events.filter((e) => e.reason === 'ALERT vessel 228946000')).toMatchObject([{ from: 'running', to: 'running', attempt: 1 }]);
    expect((await runCli(['show', id], { url: t.url })).stdout).toMatch(/#1 {2}\[running\] {2}ALERT vessel 228946000/);
  });

  it('refuses a run that has ended for its own token, and a token of another run', async () => {
    const a = await t.api.submit({ command: 'echo "$REGATTA_RUN_TOKEN"' });
    await t.api.waitForRun(a.id, { intervalMs: 50 });
    const token = (await new Response(await t.api.logs(a.id)).text()).trim();
    expect((await post(`${t.url}/api/v1/runs/${a.id}/events`, token, { message: 'late' })).status).toBe(409);
    const b = await t.api.submit({ command: 'sleep 5' });
    expect((await post(`${t.url}/api/v1/runs/${b.id}/events`, token, { message: 'x' })).status).toBe(403);
    await t.api.cancel(b.id);
    expect((await post(`${t.url}/api/v1/runs/${a.id}/events`, TOKEN, { message: 'admin note', extra: 1 })).status).toBe(400);
  });

  it('refuses a time no date can hold (found by the fuzzer: it made the run\'s timeline answer 500)', async () => {
    const { id } = await t.api.submit({ command: 'sleep 5' });
    for (const ts of [1e300, -1]) {
      const res = await post(`${t.url}/api/v1/runs/${id}/events`, TOKEN, { message: 'when?', ts });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('"path":"ts"');
      expect((await post(`${t.url}/api/v1/runs/${id}/metrics`, TOKEN, { name: 'loss', value: 1, ts })).status).toBe(400);
    }
    expect((await post(`${t.url}/api/v1/runs/${id}/events`, TOKEN, { message: 'in time', ts: Date.now() })).status).toBe(201);
    const events = await fetch(`${t.url}/api/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(events.status).toBe(200);
    await t.api.cancel(id);
  });
});
