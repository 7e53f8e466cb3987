// AIS example benchmark: the tracks builder's throughput with 1 worker (baseline) against N worker
// threads, and the stream operator's throughput and latencies with hundreds of active vessels, in
// process (baseline) and through Kafka (librdkafka's mock cluster, kafkajs), flooded and paced.
//
//   npm run build && node bench/ais.mjs
//   BENCH_AIS_VESSELS=300 BENCH_AIS_WORKERS=8 BENCH_AIS_RATE=2000 BENCH_AIS_SKIP_STREAM=1 node bench/ais.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAlerts } from '../examples/ais/dist/bench-alerts.js';
import { buildTracks, buildTracksJob, generateDataset, generateMessages, OPERATOR_DEFAULTS, trainFromTracks, VesselTracker } from '../examples/ais/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vessels = Number(process.env.BENCH_AIS_VESSELS ?? 300);
const workers = Number(process.env.BENCH_AIS_WORKERS ?? availableParallelism());
const rate = Number(process.env.BENCH_AIS_RATE ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'regatta-bench-ais-'));
const fmt = (x, d = 0) => Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const out = {};

try {
  // --- tracks builder ---------------------------------------------------------------------------
  const labels = generateDataset({ out: join(dir, 'raw'), years: [2011], vessels, days: 6, seed: 1, abnormalRate: 0.03 });
  await buildTracksJob(join(dir, 'raw'), join(dir, 'warm'), 1); // warm the page cache and the JIT
  const one = await buildTracksJob(join(dir, 'raw'), join(dir, 'w1'), 1);
  const many = await buildTracksJob(join(dir, 'raw'), join(dir, `w${workers}`), workers);
  out.builder = { lines: one.lines, tracks: one.tracks, baseline1WorkerLinesPerS: one.lines / one.seconds, workers: many.workers, linesPerS: many.lines / many.seconds };
  console.log(`tracks builder: ${fmt(labels.messages)} lines of ${vessels} vessels × 6 days, ${one.files} files, ${one.tracks} tracks`);
  console.log(`  baseline, 1 worker:  ${fmt(one.lines / one.seconds)} lines/s (${one.seconds} s)`);
  console.log(`  ${many.workers} workers:          ${fmt(many.lines / many.seconds)} lines/s (${many.seconds} s)   ratio ${fmt(one.seconds / many.seconds, 2)}x faster on ${availableParallelism()} CPUs`);

  if (!process.env.BENCH_AIS_SKIP_STREAM) {
    // --- stream operator --------------------------------------------------------------------------
    const train = generateMessages({ years: [2011], vessels: 150, days: 2, seed: 3, abnormalRate: 0.03 });
    const { model } = trainFromTracks(buildTracks(train.messages));
    const live = generateDataset({ out: join(dir, 'live'), years: [2012], vessels, days: 1, seed: 4, abnormalRate: 0.05 });
    const liveMsgs = generateMessages({ years: [2012], vessels, days: 1, seed: 4, abnormalRate: 0.05 }).messages;

    const tracker = new VesselTracker(model, OPERATOR_DEFAULTS);
    const t0 = performance.now();
    let alerts = 0;
    for (const m of liveMsgs) if (tracker.push({ mmsi: m.mmsi, lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, heading: m.heading, timestamp: m.ts, nav_status: m.navStatus })) alerts++;
    const inProc = liveMsgs.length / ((performance.now() - t0) / 1000);
    console.log(`stream operator: ${fmt(live.messages)} messages of ${vessels} vessels (1 day), ${live.abnormal.length} abnormal`);
    console.log(`  baseline, in process (no Kafka): ${fmt(inProc)} msgs/s, ${alerts} alerts`);
    out.stream = { messages: live.messages, vessels, inProcessMsgsPerS: inProc };

    const kafka = spawn(join(root, 'scripts/kafka-test-env.sh'), ['run'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const brokers = await new Promise((resolve, reject) => {
      let s = '';
      kafka.stdout.on('data', (d) => { s += d; const m = /BOOTSTRAP=(\S+)/.exec(s); if (m) resolve(m[1]); });
      kafka.once('exit', () => reject(new Error('the Kafka mock did not start')));
    });
    try {
      const dataSeconds = liveMsgs[liveMsgs.length - 1].ts - liveMsgs[0].ts;
      for (const [label, speed] of [['flooded (replay as fast as it goes)', 0], [`paced at ${fmt(rate)} msgs/s`, (rate * dataSeconds) / liveMsgs.length]]) {
        const r = await benchAlerts({ brokers: [brokers], data: join(dir, 'live'), model, speed, prefix: `bench-${speed}`, timeoutMs: 600_000 });
        console.log(`  Kafka, ${label}: ${fmt(r.throughputPerS)} msgs/s end to end (${fmt(r.seconds, 1)} s), ${r.maxActiveVessels} vessels active at most`);
        console.log(`    message latency (produce → processed) p50 ${fmt(r.messageLatencyMs.p50)} ms, p99 ${fmt(r.messageLatencyMs.p99)} ms; operator ${fmt(r.processUs.p50, 1)} µs p50, ${fmt(r.processUs.p99, 1)} µs p99 per message`);
        console.log(`    alert latency (trigger produced → alert read) p50 ${fmt(r.alertLatencyMs.p50)} ms, p95 ${fmt(r.alertLatencyMs.p95)} ms; precision ${fmt(r.quality.precision, 3)}, recall ${fmt(r.quality.recall, 3)} (${r.alerts} alerts)`);
        if (speed) console.log(`    ratio to a peak of ${vessels} vessels each reporting every 3 s (${fmt(vessels / 3)} msgs/s): ${fmt(r.throughputPerS / (vessels / 3), 1)}x, kept up with`);
        else console.log(`    ratio in-process / Kafka throughput: ${fmt(inProc / r.throughputPerS, 1)}x (latencies here are the backlog of a flood, not the service's)`);
        out.stream[speed ? 'paced' : 'flooded'] = r;
      }
    } finally {
      kafka.kill('SIGTERM');
    }
  }
  console.log(JSON.stringify(out));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
