/**
 * The benchmark controller's test_benchmark.py (seed 003) replayed against a Docker template on a
 * real engine WITH networking (scripts/docker-test-env.sh, daemon a's bridge): `test_benchmark.py
 * BASE forwarder regatta-test/forwarder other-tag` overrides the forwarder's image (and, beyond the
 * script, mounts a volume the admin allows), the benchmark
 * container reads the target through the run's network and posts its result to its webhook with no
 * credentials, as the original's benchmark tools do, let in by the bridge's network
 * (compat.benchmark.allowAnonymousFrom). The client sends no credentials either.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDocker } from '@regatta/runtimes';
import { DOCKER_ENV_TIMEOUT_MS, TEST_IMAGE, startDockerEnv, type DockerEnv } from '../docker-env.js';
import { commitTestImage } from '../docker-images.js';
import { freePort, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';

let env: DockerEnv;
let t: TestServer | undefined;

beforeAll(async () => {
  // Only one bridged env per host: wait for another test file's to go.
  env = await startDockerEnv({ waitForBridgeMs: 150_000 });
}, DOCKER_ENV_TIMEOUT_MS);
afterAll(async () => {
  await t?.close();
  await env?.stop();
}, 120_000);

describe('test_benchmark.py against a docker template (networking)', () => {
  beforeEach((ctx) => { if (env.networkA !== 'bridge') ctx.skip(); }); // skipped: another bridged engine kept this one without networking

  it('overrides a service image; the benchmark container posts its result without credentials; the client reads evaluations.passed', async () => {
    const d = connectDocker({ url: env.hostA });
    // The override's image: the test image with a /version file (docker commit).
    await commitTestImage(env.hostA, 'regatta-test/forwarder', 'other-tag', 'echo other-tag > /version');
    const ipam = ((await d.getNetwork('bridge').inspect()) as { IPAM: { Config: { Gateway: string }[] } }).IPAM.Config[0];
    const port = await freePort();
    const shared = tempDir('regatta-bench-volume-');
    writeFileSync(join(shared, 'marker'), 'mounted');
    t = await startTestServer({
      docker: { host: env.hostA, allowedHostPaths: [shared] }, node: { cpus: 8 }, host: '0.0.0.0', port, publicUrl: `http://${ipam?.Gateway ?? ''}:${port}`,
      // The client (here) and the benchmark containers send no credentials. A run with services gets
      // a network of its own, from Docker's default pools (172.16.0.0/12, 192.168.0.0/16).
      compat: { benchmark: { template: 'mps-docker', allowAnonymousFrom: ['127.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } },
    });
    await t.api.pushTemplate('mps-docker', {
      spec: {
        runtime: 'docker', image: TEST_IMAGE,
        command: 'v=$(wget -q -O - http://forwarder/index.html); '
          + 'wget -q -O /dev/null --header "Content-Type: application/json" '
          + '--post-data "{\\"evaluations\\": {\\"passed\\": true, \\"forwarder\\": \\"$v\\"}, \\"slept\\": \\"$SLEEP_AFTER_TARGET_STARTUP\\"}" "$RESULT_WEBHOOK"; sleep 60',
        services: {
          forwarder: {
            image: TEST_IMAGE,
            // Serves its image's /version and the marker of a mounted /data.
            command: 'mkdir -p /www && printf "%s-%s" "$(cat /version 2>/dev/null || echo base)" "$(cat /data/marker 2>/dev/null || echo none)" > /www/index.html && exec httpd -f -p 80 -h /www',
            ports: [80], health: { http: { port: 80, path: '/index.html' }, interval: 0.1 },
          },
        },
      },
    });
    const base = `${t.url}/compat/benchmark`;
    // run(): urllib's POST with only a content-type header; 200 with result_id (no wait: the queue queues).
    const posted = await fetch(`${base}/api/v1.0/run_benchmark`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ override_services: { forwarder: { image: 'regatta-test/forwarder:other-tag', volumes: [`${shared}:/data:ro`, '/etc:/host-etc'] } } }),
    });
    expect(posted.status).toBe(200);
    const { result_id: resultId } = (await posted.json()) as { result_id: string };
    // check_results(): GET until a result or FINISHED, then assert evaluations.passed.
    const result = await waitFor('a result', async () => {
      const res = await fetch(`${base}/api/v1.0/get_result/${resultId}`);
      expect(res.status).toBe(200);
      const data = (await res.json()) as { status: string; result: Record<string, unknown> | null };
      return data.result ?? (data.status === 'FINISHED' ? {} : undefined);
    }, 90_000);
    expect(result).toEqual({ evaluations: { passed: true, forwarder: 'other-tag-mounted' }, slept: '' });
    // The run ends by that result, through cleanup, as an ordinary run.
    await waitFor('FINISHED', async () => ((await (await fetch(`${base}/api/v1.0/get_result/${resultId}`)).json()) as { status: string }).status === 'FINISHED', 60_000);
    const { items } = await t.api.listRuns({ label: [`regatta.compat/result-id=${resultId}`] });
    expect(items[0]).toMatchObject({ status: 'succeeded' });
    // The volume outside docker.allowedHostPaths was left out, and the run says so.
    const events = (await t.api.events(items[0]?.id ?? '')).items.map((e) => e.reason);
    expect(events).toContain(`warning: override_services.forwarder.volumes[1]: /etc is not under a host path the admin allows (docker.allowedHostPaths: ${shared}); ignored`);
  }, 180_000);
});
