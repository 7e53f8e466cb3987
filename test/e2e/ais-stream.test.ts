/**
 * The AIS stream operator as a process against a real Kafka-protocol broker (librdkafka's mock
 * cluster, scripts/kafka-test-env.sh), fed by the replay command, alerts read from the output topic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTracks, decodeLine, encodeLine, generateMessages, OPERATOR_DEFAULTS, trainFromTracks, VesselTracker, type AisModel, type Alert } from '@regatta/example-ais';
import { ROOT, tempDir, waitFor } from '../helpers.js';
import { startKafka, type KafkaEnv } from '../kafka-env.js';

const AIS = join(ROOT, 'examples/ais/bin/ais.js');
let kafka: KafkaEnv;
let dir: string;
let model: AisModel;
let stream: ChildProcess | undefined;

beforeAll(async () => {
  kafka = await startKafka(['ais:4', 'ais-alerts:1']);
  dir = tempDir('regatta-ais-stream-');
  // The model learns from one data set; the stream sees another (other seed, more anomalies).
  const train = generateMessages({ years: [2011], vessels: 80, days: 2, seed: 11, abnormalRate: 0.03 });
  model = trainFromTracks(buildTracks(train.messages)).model;
  writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
  const live = generateMessages({ years: [2012], vessels: 40, days: 1, seed: 12, abnormalRate: 0.2 });
  mkdirSync(join(dir, 'raw/2012/01/01'), { recursive: true });
  writeFileSync(join(dir, 'raw/2012/01/01/ais-20120101.cdv'), `${live.messages.map(encodeLine).join('\n')}\nnot an AIS line\n`);
}, 180_000);

afterAll(async () => {
  stream?.kill('SIGKILL');
  await kafka?.stop();
});

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [AIS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    c.once('exit', (code) => resolve({ code, out }));
  });
}

describe('AIS stream operator (real Kafka protocol: librdkafka mock cluster, kafkajs)', () => {
  it('consumes replayed messages keyed by MMSI and publishes exactly the operator\'s alerts', async () => {
    let logs = '';
    stream = spawn(process.execPath, [AIS, 'stream', '--brokers', kafka.brokers, '--model', dir, '--report-every', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    stream.stdout?.on('data', (d: Buffer) => { logs += d.toString(); });
    stream.stderr?.on('data', (d: Buffer) => { logs += d.toString(); });
    await waitFor('the stream to start', async () => logs.includes('stream: reading ais'), 60_000);

    const replayed = await run(['replay', '--brokers', kafka.brokers, '--data', join(dir, 'raw'), '--speed', '0']);
    expect(replayed.code, replayed.out).toBe(0);

    // What the operator must find, computed in-process over the same lines.
    const tracker = new VesselTracker(model, OPERATOR_DEFAULTS);
    const expected: Alert[] = [];
    const lines = readFileSync(join(dir, 'raw/2012/01/01/ais-20120101.cdv'), 'utf8').split('\n');
    for (const l of lines) {
      const r = decodeLine(l);
      if (!r.ok) continue;
      const m = r.msg;
      const a = tracker.push({ mmsi: m.mmsi, lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, heading: m.heading, timestamp: m.ts, nav_status: m.navStatus, rot: m.rot });
      if (a) expected.push(a);
    }
    expect(expected.length).toBeGreaterThan(2);

    const client = new Kafka({ clientId: 'test', brokers: [kafka.brokers], logLevel: logLevel.NOTHING });
    const consumer = client.consumer({ groupId: 'test-reader', maxWaitTimeInMs: 50 });
    const got: Alert[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'ais-alerts', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { got.push(JSON.parse(message.value?.toString() ?? '{}') as Alert); } });
    await waitFor('every alert', async () => got.length >= expected.length, 60_000);
    await consumer.disconnect();
    const key = (a: Alert) => `${a.mmsi}@${a.windowEnd}`;
    expect(got.map(key).sort()).toEqual(expected.map(key).sort());
    expect(logs).toMatch(/ALERT mmsi=\d+ window=/);

    stream.kill('SIGTERM');
    const code = await new Promise((r) => stream?.once('exit', r));
    expect(code).toBe(0);
  }, 180_000);
});
