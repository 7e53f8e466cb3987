/**
 * Retry rules through the real server and CLI: seed 004's evaluation run as a `foreach` over scene
 * files, with a run script that fails the ways theirs does (controller time-outs and X server
 * failures are retried, an OutOfMemoryError never is, nor a bare non-zero exit).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ node: { name: 'eval-box', cpus: 4 } });
});
afterAll(async () => {
  await t.close();
});

// What each scene's evaluation does, by the scene file's name.
const RUN_SCENE = `#!/bin/sh
scene=$(basename "$1" .json)
echo "attempt $REGATTA_ATTEMPT of $scene on $REGATTA_NODE"
case "$scene" in
  oom) echo 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'; exit 1 ;;
  controller) echo 'ERROR create_controller() Time out!'; exit 1 ;;
  xserver) [ "$REGATTA_ATTEMPT" -ge 2 ] && exit 0; echo 'Unable to start X Server'; exit 1 ;;
  killed) [ "$REGATTA_ATTEMPT" -ge 3 ] && exit 0; kill -9 $$ ;;
  bare) exit 2 ;;
  buried) echo 'OutOfMemoryError, long ago'; head -c 1500000 /dev/zero | tr '\\0' 'x'; echo; echo 'Unable to start X Server'; exit 1 ;;
  *) echo '{"score": 1}' > "$REGATTA_OUTPUTS/result.json" ;;
esac
`;

const SCENES = ['oom', 'controller', 'xserver', 'killed', 'bare', 'buried', 'scene_01', 'scene_02'];

describe('retries.rules', () => {
  it('retries what the rules say, a fixed number of times, and tells which rule decided', async () => {
    const work = tempDir('regatta-eval-');
    mkdirSync(join(work, 'scenes'));
    for (const s of SCENES) writeFileSync(join(work, 'scenes', `${s}.json`), `{"name": "${s}"}`);
    writeFileSync(join(work, 'run_scene.sh'), RUN_SCENE, { mode: 0o755 });
    writeFileSync(join(work, 'eval.yaml'), [
      'name: eval-5',
      'workdir: .',
      'command: exec ./run_scene.sh "${params.scene}"',  // exec: a kill -9 reaches the job as a signal
      'foreach: {param: scene, files: "scenes/*.json"}',
      'resources: {cpus: 0.5}',
      'retries:',
      '  limit: 3',
      '  rules:',
      '    - {log: "OutOfMemoryError", action: fail}',
      '    - {log: "create_controller\\\\(\\\\) Time out!|Unable to start X Server", action: retry}',
      '    - {exit_codes: [137, 143], action: retry}',
      '    - {status: [lost], action: retry}',
      '    - {action: fail}',
      '',
    ].join('\n'));
    const r = await runCli(['run', '-f', join(work, 'eval.yaml')], { url: t.url });
    expect(r.code).toBe(1); // items failed
    const groupId = /group ([0-9a-z]{20})/.exec(r.stderr)?.[1] ?? '';
    const g = await t.api.getGroup(groupId);
    expect(g).toMatchObject({ status: 'failed', counts: { succeeded: 4, failed: 4 } }); // oom, controller, bare, buried

    const { rows } = await t.api.groupResults(groupId);
    const byScene = new Map(rows.map((row) => [String(row['params.scene']).replace(/^scenes\/|\.json$/g, ''), row]));
    const attemptsOf = async (scene: string) => (await t.api.getRun(String(byScene.get(scene)?.id))).attempts.length;
    expect(await attemptsOf('oom')).toBe(1);
    expect(await attemptsOf('controller')).toBe(4);
    expect(await attemptsOf('xserver')).toBe(2);
    expect(await attemptsOf('killed')).toBe(3);
    expect(await attemptsOf('bare')).toBe(1);
    expect(await attemptsOf('buried')).toBe(4); // the OOM line lies before the last 1 MiB the rules see
    expect(await attemptsOf('scene_01')).toBe(1);

    const oom = await t.api.getRun(String(byScene.get('oom')?.id));
    expect(oom.status).toBe('failed');
    expect(oom.reason).toBe('exit code 1; not retried: log matched /OutOfMemoryError/ ("Exception in thread \\"main\\" java.lang.OutOfMemoryError: Java heap space")');
    const bare = await t.api.getRun(String(byScene.get('bare')?.id));
    expect(bare.reason).toBe('exit code 2; not retried: rule 5 (matches any failure)');
    const controller = await t.api.getRun(String(byScene.get('controller')?.id));
    expect(controller.reason).toMatch(/^exit code 1; not retried: log matched .*, but all 3 retries are spent$/);

    // The timeline, as a person reads it.
    const show = await runCli(['show', controller.id], { url: t.url });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('retry 2 of 3: log matched /create_controller\\(\\) Time out!|Unable to start X Server/ ("ERROR create_controller() Time out!")');
    expect(show.stdout).toMatch(/#4 failed on eval-box exit 1/);
    const killed = await runCli(['show', String(byScene.get('killed')?.id)], { url: t.url });
    expect(killed.stdout).toMatch(/attempt 1 failed \(killed by SIGKILL\); retry 1 of 3: exit code 137/);
  });

  it('waits per backoff between attempts', async () => {
    const { id } = await t.api.submit({ command: 'echo flaky; exit 1', retries: { limit: 2, backoff: '1s', rules: [{ log: 'flaky', action: 'retry' }] } });
    const run = await waitFor('the run to end', async () => {
      const x = await t.api.getRun(id);
      return x.status === 'failed' ? x : undefined;
    }, 60_000);
    expect(run.attempts).toHaveLength(3);
    const [a1, a2, a3] = run.attempts;
    const gap = (x: typeof a1, y: typeof a1) => Date.parse(y?.startedAt ?? '') - Date.parse(x?.finishedAt ?? '');
    // 1s doubled per retry, jittered into the upper half: at least 0.5s, then at least 1s.
    expect(gap(a1, a2)).toBeGreaterThanOrEqual(450);
    expect(gap(a2, a3)).toBeGreaterThanOrEqual(950);
  });

  it('refuses a bad rule with the field and why', async () => {
    const res = await fetch(`${t.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'test-admin-token'}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'true', retries: { limit: 2, rules: [{ log: 'create_controller() Time out!(', action: 'retry' }] } }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = await res.json() as { errors: { path: string; message: string }[] };
    expect(body.errors).toEqual([{ path: 'retries.rules[0].log', message: expect.stringMatching(/regular expression/) as string }]);
  });
});
