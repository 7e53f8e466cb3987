// AIS example benchmark: the decoder's time per line (original layout, and every wrapping of real
// feeds mixed), the tracks builder's throughput on ~1,000,000 lines with 1 worker (baseline) against N
// worker threads, the detection quality of the README's walkthrough over several seeds, and the stream
// operator's throughput and latencies with hundreds of active vessels, in process (baseline) and
// through Kafka (librdkafka's mock cluster, kafkajs), flooded and paced.
//
//   npm run build && node bench/ais.mjs
//   BENCH_AIS_BUILDER_VESSELS=600 BENCH_AIS_VESSELS=300 BENCH_AIS_WORKERS=8 BENCH_AIS_RATE=2000 BENCH_AIS_SEEDS=1,2,3,4,5 \
//   BENCH_AIS_SKIP_BUILDER=1 BENCH_AIS_SKIP_STREAM=1 BENCH_AIS_SKIP_QUALITY=1 node bench/ais.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAlerts } from '../examples/ais/dist/bench-alerts.js';
import {
  AisDecoder, buildTracks, buildTracksJob, decodeLine, detectTracks, generateDataset, generateMessages, listRawFiles, OPERATOR_DEFAULTS, quality, readTracks, trainFromTracks, VesselTracker,
} from '../examples/ais/dist/index.js';
import { readRawMessages } from '../examples/ais/dist/kafka.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vessels = Number(process.env.BENCH_AIS_VESSELS ?? 300);
const builderVessels = Number(process.env.BENCH_AIS_BUILDER_VESSELS ?? 600);
const seeds = (process.env.BENCH_AIS_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const workers = Number(process.env.BENCH_AIS_WORKERS ?? availableParallelism());
const rate = Number(process.env.BENCH_AIS_RATE ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'regatta-bench-ais-'));
const fmt = (x, d = 0) => Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const out = {};

try {
  if (!process.env.BENCH_AIS_SKIP_BUILDER) {
    // --- decoder, per line ------------------------------------------------------------------------
    const perLine = (lines, decode) => {
      const runs = [];
      for (let r = 0; r < 5; r++) {
        const t0 = performance.now();
        for (const l of lines) decode(l);
        runs.push(((performance.now() - t0) * 1e6) / lines.length);
      }
      return runs.sort((a, b) => a - b)[2]; // median of 5
    };
    const labels = generateDataset({ out: join(dir, 'raw'), years: [2011], vessels: builderVessels, days: 6, seed: 1, abnormalRate: 0.03 });
    generateDataset({ out: join(dir, 'mixed'), years: [2011], vessels: 100, days: 2, seed: 1, abnormalRate: 0.03, format: 'mixed' });
    const linesOf = (d) => listRawFiles(d).flatMap((f) => readFileSync(f, 'latin1').split('\n').filter(Boolean));
    const cdvLines = linesOf(join(dir, 'raw'));
    const mixedLines = linesOf(join(dir, 'mixed'));
    const cdvNs = perLine(cdvLines, decodeLine);
    const decoder = new AisDecoder();
    const mixedNs = perLine(mixedLines, (l) => { decoder.push(l); decoder.dropped(); });
    out.decoder = { cdvLines: cdvLines.length, cdvNsPerLine: cdvNs, mixedLines: mixedLines.length, mixedNsPerLine: mixedNs };
    console.log(`decoder: ${fmt(cdvNs)} ns a line over ${fmt(cdvLines.length)} lines of the original layout (median of 5 passes)`);
    console.log(`  every wrapping mixed (tag blocks, suffixes, epoch/ISO prefixes, 2-part messages): ${fmt(mixedNs)} ns a line over ${fmt(mixedLines.length)} lines, ratio ${fmt(mixedNs / cdvNs, 2)}x`);

    // --- tracks builder ---------------------------------------------------------------------------
    await buildTracksJob(join(dir, 'raw'), join(dir, 'warm'), 1); // warm the page cache and the JIT
    const one = await buildTracksJob(join(dir, 'raw'), join(dir, 'w1'), 1);
    const many = await buildTracksJob(join(dir, 'raw'), join(dir, `w${workers}`), workers);
    out.builder = { lines: one.lines, tracks: one.tracks, baseline1WorkerLinesPerS: one.lines / one.seconds, workers: many.workers, linesPerS: many.lines / many.seconds };
    console.log(`tracks builder: ${fmt(labels.messages)} lines of ${builderVessels} vessels × 6 days, ${one.files} files, ${one.tracks} tracks`);
    console.log(`  baseline, 1 worker:  ${fmt(one.lines / one.seconds)} lines/s (${one.seconds} s, ${fmt((one.seconds * 1e9) / one.lines)} ns a line)`);
    console.log(`  ${many.workers} workers:          ${fmt(many.lines / many.seconds)} lines/s (${many.seconds} s)   ratio ${fmt(one.seconds / many.seconds, 2)}x faster on ${availableParallelism()} CPUs`);
  }

  if (!process.env.BENCH_AIS_SKIP_QUALITY) {
    // --- detection quality: the README walkthrough's data sets, for several seeds ---------------------
    // Training: 2011–2012, 100 vessels × 2 days, 3 % abnormal; held out: 2013, 100 vessels × 1 day,
    // 15 % abnormal. Batch (detect --labels over the held-out tracks) and stream (the operator over the
    // held-out messages in time order: the alerts bench-alerts gets through Kafka).
    out.quality = [];
    console.log(`detection quality, README walkthrough data sets, seeds ${seeds.join(', ')} (held-out seed = seed + 1):`);
    for (const seed of seeds) {
      const q = join(dir, `q${seed}`);
      generateDataset({ out: join(q, 'raw'), years: [2011, 2012], vessels: 100, days: 2, seed, abnormalRate: 0.03 });
      const held = generateDataset({ out: join(q, 'held'), years: [2013], vessels: 100, days: 1, seed: seed + 1, abnormalRate: 0.15 });
      for (const y of [2011, 2012]) await buildTracksJob(join(q, 'raw', String(y)), join(q, 'tracks', String(y)), workers);
      const { model } = trainFromTracks(readTracks(join(q, 'tracks')));
      await buildTracksJob(join(q, 'held'), join(q, 'held-tracks'), workers);
      const truth = new Set(held.abnormal.map((a) => a.mmsi));
      const verdicts = detectTracks(model, readTracks(join(q, 'held-tracks')));
      const batch = quality(verdicts.map((v) => v.mmsi), new Set(verdicts.filter((v) => v.abnormal).map((v) => v.mmsi)), truth);
      const tracker = new VesselTracker(model, OPERATOR_DEFAULTS);
      const msgs = readRawMessages(listRawFiles(join(q, 'held')));
      const alerted = new Set();
      for (const m of msgs) if (tracker.push({ mmsi: m.mmsi, lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, heading: m.heading, timestamp: m.ts, nav_status: m.navStatus, rot: m.rot })) alerted.add(m.mmsi);
      const stream = quality(msgs.map((m) => m.mmsi), alerted, truth);
      out.quality.push({ seed, abnormal: truth.size, batch, stream });
      const line = (x) => `precision ${fmt(x.precision, 3)} (${x.tp} of ${x.tp + x.fp}), recall ${fmt(x.recall, 3)} (${x.tp} of ${x.tp + x.fn})`;
      console.log(`  seed ${seed}: ${truth.size} abnormal of 100; batch ${line(batch)}; stream ${line(stream)}`);
    }
    const mean = (k, f) => out.quality.reduce((a, x) => a + x[k][f], 0) / out.quality.length;
    console.log(`  mean: batch precision ${fmt(mean('batch', 'precision'), 3)}, recall ${fmt(mean('batch', 'recall'), 3)}; stream precision ${fmt(mean('stream', 'precision'), 3)}, recall ${fmt(mean('stream', 'recall'), 3)}`);
  }

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
