/**
 * The artifact store against a real S3-compatible server: Debian's Ceph radosgw on a private
 * one-node cluster (scripts/s3-test-env.sh). The port's contract for both adapters, then the real
 * server and CLI with `artifactStore: {type: s3}`: keys from the run's template, files in the bucket
 * before the run is reported ended, downloads served from the bucket, logs archived, a bucket that
 * refuses the upload failing the run.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalArtifactStore, createS3ArtifactStore, type ArtifactStore } from '@regatta/artifacts';
import { artifactStoreContract, attemptDirs } from '../artifact-store-contract.js';
import { runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { startS3Env, type S3Env } from '../s3-env.js';

let s3: S3Env;
const stores: ArtifactStore[] = [];
beforeAll(async () => {
  s3 = await startS3Env();
  await s3.createBucket('contract');
  await s3.createBucket('campaigns');
}, 400_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await s3?.stop();
}, 120_000);

describe('the ArtifactStore port', () => {
  artifactStoreContract('local disk', () => {
    const { dirFor } = attemptDirs();
    // The local store reads the files where the runtime left them.
    const store = createLocalArtifactStore({ outputsDir: (runId, attempt) => dirFor({ runId, attempt, params: {}, labels: {} }) });
    return { store, dirFor };
  });
  artifactStoreContract('s3 (radosgw)', () => {
    const store = createS3ArtifactStore({
      bucket: 'contract', region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials,
      prefix: 'contract', partSize: 5 * 1024 * 1024, uploadAttempts: 2, retryDelayMs: 100,
    });
    stores.push(store);
    return { store, dirFor: attemptDirs().dirFor };
  });
});

describe('a server with artifactStore: s3 (radosgw)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      node: { name: 'eval-box', cpus: 2 },
      artifactStore: {
        type: 's3', bucket: 'campaigns', endpoint: s3.endpoint, region: s3.region,
        accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey, archiveLogs: true, partSize: '5Mi',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const text = async (key: string) => {
    const res = await s3.client.send(new GetObjectCommand({ Bucket: 'campaigns', Key: key }));
    return res.Body?.transformToString();
  };

  it('uploads each item under its key template before the run is reported ended, and downloads come from the bucket', async () => {
    const { groupId } = await t.api.submitGroup({
      name: 'eval-5',
      command: 'echo "evaluating ${params.scene}"; echo "{\\"scene\\": \\"${params.scene}\\"}" > "$REGATTA_OUTPUTS/result.json"; head -c 7000000 /dev/urandom > "$REGATTA_OUTPUTS/frames.bin"',
      params: { eval_name: 'eval5', metadata: 'level2' },
      labels: { team: 'blue' },
      foreach: { param: 'scene', values: ['s1', 's2'] },
      artifacts: { key: 'eval-5/{params.eval_name}_{params.metadata}_{labels.team}_{item}/{path}' },
    });
    // The moment an item is reported succeeded, its files are in the bucket.
    const seen = new Set<string>();
    await waitFor('both items ended, each checked the moment it was', async () => {
      const page = await t.api.groupRuns(groupId);
      for (const r of page.items) {
        if (r.status !== 'succeeded' || seen.has(r.id)) continue;
        const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'campaigns', Key: `eval-5/eval5_level2_blue_${r.item}/frames.bin` }));
        expect(head.ContentLength).toBe(7_000_000);
        seen.add(r.id);
      }
      return seen.size === 2;
    }, 120_000);
    expect(await text('eval-5/eval5_level2_blue_s1/result.json')).toBe('{"scene": "s1"}\n');
    expect(await text(`logs/${groupId}/s2/1/log`)).toBe('evaluating s2\n');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'campaigns', Prefix: 'eval-5/' }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      'eval-5/eval5_level2_blue_s1/frames.bin', 'eval-5/eval5_level2_blue_s1/result.json',
      'eval-5/eval5_level2_blue_s2/frames.bin', 'eval-5/eval5_level2_blue_s2/result.json',
    ]);

    // Downloads stream from the bucket: the server's own copy is gone.
    rmSync(join(t.dataDir, 'runs'), { recursive: true, force: true });
    const out = join(tempDir('regatta-s3-dl-'), 'out');
    const dl = await runCli(['artifacts', groupId, '--out', out], { url: t.url });
    expect(dl.stderr).toBe('');
    expect(dl.code).toBe(0);
    expect(readFileSync(join(out, 's2', 'result.json'), 'utf8')).toBe('{"scene": "s2"}\n');
    expect(readFileSync(join(out, 's1', 'frames.bin')).length).toBe(7_000_000);
    // So do the logs, from their archived copy; group logs gathers them all.
    const logs = join(tempDir('regatta-s3-logs-'), 'logs');
    const gl = await runCli(['group', 'logs', groupId, '--out', logs], { url: t.url });
    expect(gl.code).toBe(0);
    expect(readFileSync(join(logs, 's1', 'log'), 'utf8')).toMatch(/^==> attempt 1 of 1 on node eval-box, started \S+: succeeded \(exit code 0\) <==\nevaluating s1\n$/);
  }, 180_000);

  it('a run without a template keeps the default layout <run>/<attempt>/<path>', async () => {
    const run = await t.api.waitForRun((await t.api.submit({ command: 'echo hi > "$REGATTA_OUTPUTS/out.txt"' })).id);
    expect(run.status).toBe('succeeded');
    expect(await text(`${run.id}/1/out.txt`)).toBe('hi\n');
  }, 60_000);

  it('a bucket that refuses the upload fails the run, saying why', async () => {
    const bad = await startTestServer({
      artifactStore: {
        type: 's3', bucket: 'no-such-bucket', endpoint: s3.endpoint, region: s3.region,
        accessKeyId: s3.credentials.accessKeyId, secretAccessKey: s3.credentials.secretAccessKey,
      },
    });
    try {
      const run = await bad.api.waitForRun((await bad.api.submit({ command: 'echo x > "$REGATTA_OUTPUTS/x.txt"' })).id);
      expect(run.status).toBe('failed');
      expect(run.reason).toMatch(/^artifacts not stored: storing \S+\/1\/x.txt in s3:\/\/no-such-bucket failed: /);
    } finally {
      await bad.close();
    }
  }, 60_000);

  it('refuses a key template with an unknown placeholder, naming the field', async () => {
    const res = await fetch(`${t.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'true', artifacts: { key: 'x/{scene}' } }),
    });
    expect(res.status).toBe(400);
    const body = await res.json() as { errors: { path: string; message: string }[] };
    expect(body.errors[0]?.path).toBe('artifacts.key');
    expect(existsSync(t.dataDir)).toBe(true);
  });
});
