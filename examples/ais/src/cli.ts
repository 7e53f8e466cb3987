/**
 * `regatta-ais <command>`: the steps of the AIS example, each runnable alone or as a Regatta job.
 * Inside a Regatta run (REGATTA_RUN_ID set) counts and figures are reported as metrics and result.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportEvent, reportMetrics, reportResult } from '@regatta/sdk';
import { benchAlerts } from './bench-alerts.js';
import { detectTracks, readTracks, trainFromTracks } from './batch.js';
import { DETECT_DEFAULTS } from './detector.js';
import { quality } from './evaluate.js';
import { generateDataset, type Labels } from './generator.js';
import { readRawMessages, replay } from './kafka.js';
import { runStreamCommand } from './stream-command.js';
import { parseModel, type AisModel } from './model.js';
import { OPERATOR_DEFAULTS } from './stream-operator.js';
import { parseTimePrefix } from './nmea.js';
import { BOX, parseRegion, type Region } from './track.js';
import { buildTracksJob, listRawFiles, workerCount } from './tracks-job.js';
import { LINE_FORMATS, type LineFormat } from './wrap.js';

const USAGE = `usage: regatta-ais <command> [options]
  generate --out DIR [--years 2011,2012] [--vessels 100] [--days 2] [--seed 1] [--abnormal-rate 0.1] [--corrupt-rate 0.002]
           [--format cdv|global|mixed]   (line wrapping: the original layout, tag blocks, or every wrapping real feeds use)
  tracks   --input DIR [--out DIR] [--workers N] [--region R] [--receive-time T]
           (default out: $REGATTA_OUTPUTS; workers: REGATTA_CPUS; region: brittany | world | LAT_MIN,LAT_MAX,LON_MIN,LON_MAX;
            receive time of lines with none: epoch seconds or ISO-8601)
  model    --tracks DIR [--out FILE] [--region learn|R] (default out: $REGATTA_OUTPUTS/model.json; region: brittany)
  detect   --model FILE|DIR --tracks DIR [--labels FILE] [--epsilon 1e-9]
  stream   --brokers HOST:PORT --model FILE|DIR [--in ais] [--out ais-alerts] [--group regatta-ais] [--epsilon 1e-9] [--report-every 10]
           [--health-port N] [--errors FILE]   (GET /health: 200 while the consumer is in its group and fetching, else 503;
            0: any port. Invalid messages: FILE, default $REGATTA_OUTPUTS/errors.txt, the first 10,000)
  replay   --brokers HOST:PORT --data DIR [--topic ais] [--speed 0]   (speed: data seconds per second; 0 = as fast as possible)
  bench-alerts --brokers HOST:PORT --data DIR --model FILE|DIR [--speed 0] [--prefix NAME]`;

const inRun = () => Boolean(process.env.REGATTA_RUN_ID);

async function metrics(values: Record<string, number>): Promise<void> {
  if (!inRun()) return;
  // One request: a reader sees the whole set or none of it.
  await reportMetrics(Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v))));
}

async function result(r: unknown): Promise<void> {
  if (inRun()) await reportResult(r);
}

function outputs(given: string | undefined): string {
  const out = given ?? process.env.REGATTA_OUTPUTS;
  if (!out) throw new UsageError('--out is required outside a Regatta run');
  mkdirSync(out, { recursive: true });
  return out;
}

class UsageError extends Error {}

function required(v: string | undefined, name: string): string {
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}

function num(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: a number is required (got '${v}')`);
  return n;
}

/** A model file, or a directory holding one (as `regatta artifacts` downloads it). */
function loadModel(path: string): AisModel {
  let file = path;
  if (statSync(path).isDirectory()) {
    const found = readdirSync(path, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name === 'model.json');
    if (!found) throw new UsageError(`no model.json under ${path}`);
    file = join(found.parentPath, found.name);
  }
  return parseModel(readFileSync(file, 'utf8'));
}

function lineFormat(v: string | undefined): LineFormat {
  if (v === undefined) return 'cdv';
  const f = LINE_FORMATS.find((x) => x === v);
  if (!f) throw new UsageError(`--format: one of ${LINE_FORMATS.join(', ')} (got '${v}')`);
  return f;
}

function region(v: string | undefined): Region {
  if (v === undefined) return BOX;
  const r = parseRegion(v);
  if (typeof r === 'string') throw new UsageError(`--region: ${r} (got '${v}')`);
  return r;
}

/** Metric names for the error reasons: errors.bad_checksum, errors.message_type_5, … */
const reasonMetrics = (byReason: Record<string, number>, prefix = 'errors') =>
  Object.fromEntries(Object.entries(byReason).map(([k, v]) => [`${prefix}.${k.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '').toLowerCase()}`, v]));

const brokersOf = (v: string | undefined) => required(v, 'brokers').split(',').map((s) => s.trim()).filter(Boolean);

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const { values: a } = parseArgs({
    args: rest,
    options: Object.fromEntries(['out', 'years', 'vessels', 'days', 'seed', 'abnormal-rate', 'corrupt-rate', 'input', 'workers', 'tracks', 'model',
      'labels', 'epsilon', 'brokers', 'in', 'group', 'report-every', 'data', 'topic', 'speed', 'prefix', 'region', 'receive-time', 'format', 'health-port', 'errors'].map((k) => [k, { type: 'string' as const }])),
  });
  switch (cmd) {
    case 'generate': {
      const labels = generateDataset({
        out: required(a.out, 'out'), years: (a.years ?? '2011').split(',').map(Number), vessels: num(a.vessels, 'vessels', 100),
        days: num(a.days, 'days', 2), seed: num(a.seed, 'seed', 1), abnormalRate: num(a['abnormal-rate'], 'abnormal-rate', 0.1),
        corruptRate: num(a['corrupt-rate'], 'corrupt-rate', 0.002), format: lineFormat(a.format),
      });
      console.log(`${labels.messages} messages, ${labels.abnormal.length} abnormal vessels, ${labels.corruptLines} corrupt lines → ${a.out}`);
      return;
    }
    case 'tracks': {
      const input = required(a.input, 'input');
      if (!existsSync(input)) throw new UsageError(`--input: no such directory ${input}`);
      const receivedAt = a['receive-time'] === undefined ? undefined : parseTimePrefix(a['receive-time']);
      if (Number.isNaN(receivedAt)) throw new UsageError(`--receive-time: epoch seconds or ISO-8601 are required (got '${a['receive-time']}')`);
      const s = await buildTracksJob(input, outputs(a.out), a.workers ? num(a.workers, 'workers', 1) : workerCount(), {
        region: region(a.region), ...(receivedAt !== undefined ? { decoder: { receivedAt } } : {}),
      });
      console.log(JSON.stringify(s));
      await metrics({ files: s.files, lines: s.lines, decoded: s.decoded, skipped: s.skipped, fragments: s.fragments, errors: s.errors, dropped: s.dropped,
        tracks: s.tracks, points: s.points, workers: s.workers, seconds: s.seconds, lines_per_s: Math.round(s.lines / Math.max(s.seconds, 1e-3)), ...reasonMetrics(s.errorsByReason) });
      await result(s);
      return;
    }
    case 'model': {
      const out = a.out ?? join(outputs(undefined), 'model.json');
      const { model, summary } = trainFromTracks(readTracks(required(a.tracks, 'tracks')), a.region === 'learn' ? 'learn' : region(a.region));
      writeFileSync(out, JSON.stringify(model));
      console.log(JSON.stringify(summary));
      await metrics({ track_files: summary.files, tracks_used: summary.used, cells: summary.cells, points: summary.points });
      await result(summary);
      return;
    }
    case 'detect': {
      const model = loadModel(required(a.model, 'model'));
      const verdicts = detectTracks(model, readTracks(required(a.tracks, 'tracks')), { ...DETECT_DEFAULTS, epsilon: num(a.epsilon, 'epsilon', 1e-9) });
      for (const v of verdicts.filter((x) => x.abnormal)) console.log(`abnormal ${v.mmsi} ${new Date(v.first * 1000).toISOString()} nfa=${v.minNfa?.toExponential(2)}`);
      const r: Record<string, unknown> = { tracks: verdicts.length, scored: verdicts.filter((v) => v.scored).length, abnormal: verdicts.filter((v) => v.abnormal).length };
      if (a.labels) {
        const labels = JSON.parse(readFileSync(a.labels, 'utf8')) as Labels;
        r.quality = quality(verdicts.map((v) => v.mmsi), new Set(verdicts.filter((v) => v.abnormal).map((v) => v.mmsi)), new Set(labels.abnormal.map((x) => x.mmsi)));
      }
      console.log(JSON.stringify(r));
      await result(r);
      return;
    }
    case 'stream': {
      const epsilon = num(a.epsilon, 'epsilon', 1e-9);
      const healthPort = a['health-port'] === undefined || a['health-port'] === '' ? undefined : num(a['health-port'], 'health-port', 0);
      await runStreamCommand({
        brokers: brokersOf(a.brokers), inTopic: a.in ?? 'ais', outTopic: a.out ?? 'ais-alerts', groupId: a.group ?? 'regatta-ais',
        model: loadModel(required(a.model, 'model')), operator: { ...OPERATOR_DEFAULTS, epsilon }, reportEveryS: num(a['report-every'], 'report-every', 10),
        ...(healthPort !== undefined ? { healthPort } : {}),
        ...(a.errors || process.env.REGATTA_OUTPUTS ? { errorsFile: a.errors ?? join(outputs(undefined), 'errors.txt') } : {}),
        onFatal: (e) => {
          console.error(`regatta-ais: the consumer stopped: ${e.message}`);
          process.exit(1); // a kind: service run restarts per its policy
        },
        onAlert: (x) => {
          const line = `ALERT mmsi=${x.mmsi} window=${new Date(x.windowStart * 1000).toISOString()}..${new Date(x.windowEnd * 1000).toISOString()} nfa=${x.minNfa.toExponential(2)} flagged=${x.flagged}/${x.points}`;
          console.log(line);
          // In the run's timeline too, where a person looks first (regatta show).
          if (inRun()) void reportEvent(line);
        },
        report: (s, byReason) => metrics({ messages: s.messages, invalid: s.invalid, alerts: s.alerts, vessels_active: s.activeVessels,
          latency_ms_p50: s.latencyMs.quantile(0.5), latency_ms_p99: s.latencyMs.quantile(0.99), process_us_p50: s.processUs.quantile(0.5),
          process_us_p99: s.processUs.quantile(0.99), ...reasonMetrics(byReason, 'invalid') }),
      });
      return;
    }
    case 'replay': {
      const messages = readRawMessages(listRawFiles(required(a.data, 'data')));
      const t0 = Date.now();
      const n = await replay({ brokers: brokersOf(a.brokers), topic: a.topic ?? 'ais', messages, speed: num(a.speed, 'speed', 0) });
      console.log(`replayed ${n} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return;
    }
    case 'bench-alerts': {
      const r = await benchAlerts({
        brokers: brokersOf(a.brokers), data: required(a.data, 'data'), model: loadModel(required(a.model, 'model')), speed: num(a.speed, 'speed', 0),
        prefix: a.prefix ?? `ais-bench-${process.env.REGATTA_RUN_ID ?? Date.now()}`,
      });
      console.log(JSON.stringify(r));
      await metrics({
        precision: r.quality.precision, recall: r.quality.recall, f1: r.quality.f1, alerts: r.alerts, messages: r.messages, throughput_msgs_per_s: r.throughputPerS,
        alert_latency_ms_p50: r.alertLatencyMs.p50, alert_latency_ms_p95: r.alertLatencyMs.p95, message_latency_ms_p50: r.messageLatencyMs.p50,
        message_latency_ms_p99: r.messageLatencyMs.p99, process_us_p50: r.processUs.p50, process_us_p99: r.processUs.p99,
        vessels_active_max: r.maxActiveVessels, detection_delay_h_p50: r.detectionDelayH.p50,
      });
      await result(r);
      return;
    }
    default:
      throw new UsageError(cmd ? `unknown command '${cmd}'` : 'a command is required');
  }
}

main(process.argv.slice(2)).then(() => process.exit(0), (e: unknown) => {
  console.error(`regatta-ais: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof UsageError) console.error(USAGE);
  process.exit(e instanceof UsageError ? 2 : 1);
});
