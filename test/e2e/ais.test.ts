/**
 * The AIS example end to end through a real Regatta server and the CLI: tracks per year (a group
 * over a read-only dataset), the model from the downloaded tracks, the stream as a `kind: service`
 * run against a real Kafka-protocol broker (librdkafka's mock cluster), and the alert benchmark.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDataset, type Labels, type TracksSummary } from '@regatta/example-ais';
import { ROOT, readAll, runCli, startTestServer, tempDir, waitFor, type TestServer } from '../helpers.js';
import { startKafka, type KafkaEnv } from '../kafka-env.js';
import { spawn } from 'node:child_process';

const EX = 'examples/ais';
let t: TestServer;
let kafka: KafkaEnv;
let dir: string;
let labels: Labels;

beforeAll(async () => {
  [t, kafka] = await Promise.all([startTestServer({ node: { cpus: 4 } }), startKafka(['ais:4', 'ais-alerts:1'])]);
  dir = tempDir('regatta-ais-e2e-');
  labels = generateDataset({ out: join(dir, 'raw'), years: [2011, 2012], vessels: 40, days: 2, seed: 21, abnormalRate: 0.03 });
  generateDataset({ out: join(dir, 'labelled'), years: [2013], vessels: 40, days: 1, seed: 22, abnormalRate: 0.2 });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await kafka?.stop();
});

const cli = (args: string[]) => runCli(args, { url: t.url });

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect(r.code, `regatta ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout + r.stderr;
}

describe('AIS example through Regatta', () => {
  it('builds tracks per year, learns the model, streams alerts as a service and benchmarks the alerts', async () => {
    // 1. Tracks: a group, one run per year, the raw data read-only, tracks as artifacts under <group>/<year>/.
    await ok(['datasets', 'add', 'ais', '--path', join(dir, 'raw')]);
    const submitted = await ok(['run', '-f', `${EX}/tracks.yaml`]);
    const groupId = /group (\S+) submitted: 2 runs/.exec(submitted)?.[1];
    expect(groupId, submitted).toBeDefined();
    await ok(['artifacts', groupId!, '--out', join(dir, 'tracks')]);
    expect(readdirSync(join(dir, 'tracks')).sort()).toEqual(['2011', '2012']);
    let errors = 0;
    for (const year of ['2011', '2012']) {
      const s = JSON.parse(readFileSync(join(dir, 'tracks', year, 'tracks-summary.json'), 'utf8')) as TracksSummary;
      const files = readdirSync(join(dir, 'tracks', year, 'tracks'));
      expect(files).toHaveLength(s.tracks);
      expect(files.every((f) => /^\d+-\d+-\d{9}-\d+\.csv$/.test(f))).toBe(true);
      expect(s.workers).toBe(2); // resources.cpus of tracks.yaml, seen as REGATTA_CPUS
      errors += s.errors;
      expect(readFileSync(join(dir, 'tracks', year, 'errors.txt'), 'utf8').split('\n').filter(Boolean)).toHaveLength(s.errors);
    }
    expect(errors).toBe(labels.corruptLines);
    const results = await ok(['group', 'results', groupId!, '--format', 'csv']);
    expect(results).toMatch(/tracks/);

    // 2. The model, from the downloaded tracks registered as a dataset.
    await ok(['datasets', 'add', 'ais-tracks', '--path', join(dir, 'tracks')]);
    const modelRun = (await ok(['run', '-f', `${EX}/model.yaml`, '--wait'])).match(/run (\S+) submitted/)?.[1];
    await ok(['artifacts', modelRun!, '--out', join(dir, 'model')]);
    expect(existsSync(join(dir, 'model', 'model.json'))).toBe(true);
    await ok(['datasets', 'add', 'ais-model', '--path', join(dir, 'model')]);

    // 3. The stream as a service: replayed messages in, alerts out (logs, metrics).
    const streamId = (await ok(['run', '-f', `${EX}/stream.yaml`, '--set', `params.brokers=${kafka.brokers}`, '--set', 'params.report_every=0.5', '--detach'])).trim();
    await waitFor('the stream service to read its topic', async () => (await readAll(await t.api.logs(streamId))).includes('stream: reading ais'), 60_000);
    // Its health check asks the consumer (GET /health on the run's port).
    await waitFor('the stream to be healthy', async () => (await t.api.getRun(streamId)).health === 'healthy', 60_000);
    expect(await ok(['show', streamId])).toMatch(/Health:\s+healthy/);
    const replay = await new Promise<number | null>((resolve) => {
      spawn(join(ROOT, EX, 'replay'), ['--brokers', kafka.brokers, '--data', join(dir, 'labelled'), '--speed', '0'], { stdio: 'ignore' }).once('exit', resolve);
    });
    expect(replay).toBe(0);
    const run = await waitFor('alerts in the metrics', async () => {
      const r = await t.api.getRun(streamId);
      return (r.metrics.alerts?.value ?? 0) > 0 && (r.metrics.messages?.value ?? 0) > 0 ? r : undefined;
    }, 60_000);
    expect(run.status).toBe('running');
    expect(run.metrics.latency_ms_p50).toBeDefined();
    expect(await readAll(await t.api.logs(streamId))).toMatch(/ALERT mmsi=\d+/);
    expect((await t.api.events(streamId)).items.some((e) => e.from === 'running' && e.to === 'running' && /^ALERT mmsi=\d+/.test(e.reason ?? ''))).toBe(true);
    await ok(['cancel', streamId, '--wait']);
    expect((await t.api.getRun(streamId)).status).toBe('canceled');

    // The same service with brokers that cannot be reached: still running (it keeps trying), but unhealthy.
    const deadId = (await ok(['run', '-f', `${EX}/stream.yaml`, '--set', 'params.brokers=127.0.0.1:1', '--set', 'health.start_period=2s', '--set', 'health.interval=0.5', '--detach'])).trim();
    await waitFor('the unreachable brokers to show', async () => (await t.api.getRun(deadId)).health === 'unhealthy', 60_000);
    const shown = await ok(['show', deadId]);
    expect(shown).toMatch(/Health:\s+unhealthy/);
    expect((await t.api.getRun(deadId)).status).toBe('running');
    await ok(['cancel', deadId, '--wait']);

    // 4. The benchmark of the alert function: precision, recall and latencies as metrics.
    await ok(['datasets', 'add', 'ais-labelled', '--path', join(dir, 'labelled')]);
    const benchId = (await ok(['run', '-f', `${EX}/bench-alerts.yaml`, '--set', `params.brokers=${kafka.brokers}`, '--wait'])).match(/run (\S+) submitted/)?.[1];
    const bench = await t.api.getRun(benchId!);
    expect(bench.status).toBe('succeeded');
    for (const m of ['precision', 'recall', 'alert_latency_ms_p50', 'message_latency_ms_p99', 'throughput_msgs_per_s']) expect(bench.metrics[m], m).toBeDefined();
    expect(bench.metrics.recall!.value).toBeGreaterThanOrEqual(0.5);
    expect(bench.metrics.precision!.value).toBeGreaterThanOrEqual(0.5);
  }, 240_000);
});
