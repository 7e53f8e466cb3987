/**
 * The AIS stream operator as a process against a real Kafka-protocol broker (librdkafka's mock
 * cluster, scripts/kafka-test-env.sh), fed by the replay command, alerts read from the output topic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('AIS stream health (GET /health, what a run\'s health check asks)', () => {
  async function health(port: string): Promise<{ code: number; body: { healthy: boolean; state: string; last_error?: string; messages: number; invalid: Record<string, number> } }> {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return { code: res.status, body: (await res.json()) as { healthy: boolean; state: string; last_error?: string; messages: number; invalid: Record<string, number> } };
  }

  function startStream(brokers: string, extra: string[] = []): { child: ChildProcess; port: Promise<string>; logs: () => string } {
    let logs = '';
    const child = spawn(process.execPath, [AIS, 'stream', '--brokers', brokers, '--model', dir, '--health-port', '0', '--group', `health-${Date.now()}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { logs += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { logs += d.toString(); });
    const port = waitFor('the health URL', async () => /health: http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(logs)?.[1], 30_000);
    return { child, port, logs: () => logs };
  }

  async function stop(child: ChildProcess): Promise<unknown> {
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    return exited;
  }

  it('is unhealthy while the brokers cannot be reached, and keeps trying instead of exiting', async () => {
    const s = startStream('127.0.0.1:1');
    const port = await s.port;
    expect(await health(port)).toMatchObject({ code: 503, body: { healthy: false, state: 'connecting' } });
    // kafkajs gives up a connection attempt after its retries; the service says why and tries again.
    await waitFor('a retry', async () => s.logs().includes('cannot start the consumer'), 90_000);
    expect((await health(port)).body.last_error).toMatch(/ECONNREFUSED|Connection error/);
    expect(s.child.exitCode).toBeNull();
    expect(await stop(s.child)).toBe(0);
  }, 120_000);

  it('is healthy while consuming, decodes raw NMEA lines, counts and writes bad values by reason, and turns unhealthy when the broker goes away', async () => {
    const own = await startKafka(['ais:1', 'ais-alerts:1']);
    const errorsFile = join(dir, 'stream-errors.txt');
    const s = startStream(own.brokers, ['--report-every', '1', '--errors', errorsFile]);
    try {
      const port = await s.port;
      await waitFor('healthy', async () => ((await health(port)).code === 200 ? true : undefined), 60_000);
      expect((await health(port)).body).toMatchObject({ healthy: true, state: 'consuming' });
      // Raw receiver lines on the topic, and values that are neither JSON nor NMEA.
      const producer = new Kafka({ clientId: 'test', brokers: [own.brokers], logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({ topic: 'ais', messages: [
        { value: '\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78' },
        { value: '!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4A' },
        { value: '!AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B' },
        { value: 'not json' },
      ] });
      await producer.disconnect();
      await waitFor('4 messages', async () => ((await health(port)).body.messages >= 4 ? true : undefined), 30_000);
      expect((await health(port)).body.invalid).toEqual({ 'bad checksum': 1, 'not JSON': 1 });
      const written = await waitFor('the errors file', async () => {
        const text = existsSync(errorsFile) ? readFileSync(errorsFile, 'utf8') : '';
        return text.split('\n').length > 2 ? text : undefined;
      }, 30_000);
      expect(written).toBe('bad checksum: !AIVDM,1,1,,A,15RTgt0PAso;90TKcjM8h6g208CQ,0*4B\nnot JSON: not json\n');
      await own.stop();
      await waitFor('unhealthy', async () => ((await health(port)).code === 503 ? true : undefined), 90_000);
      expect((await health(port)).body.healthy).toBe(false);
    } finally {
      await own.stop();
      await stop(s.child);
    }
  }, 240_000);
});

