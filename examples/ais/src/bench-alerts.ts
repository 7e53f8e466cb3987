/**
 * Benchmark of the alert function (the original's open TODO): replays a labelled data set through
 * Kafka into a stream operator, reads the alerts back from the output topic, and measures detection
 * quality per vessel and latencies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Labels } from './generator.js';
import { createKafka, readRawMessages, replay, runJoined, startStreamService, type PublishedAlert } from './kafka.js';
import { LatencySamples } from './latency.js';
import type { AisModel } from './model.js';
import { quality, type Quality } from './evaluate.js';
import { listRawFiles } from './tracks-job.js';

export interface BenchOptions {
  brokers: string[];
  /** A generated data set: raw files and labels.json. */
  data: string;
  model: AisModel;
  speed: number;
  /** Topics and consumer groups are named after it, so runs do not share them. */
  prefix: string;
  timeoutMs?: number;
}

export interface BenchResult {
  quality: Quality;
  messages: number;
  alerts: number;
  seconds: number;
  throughputPerS: number;
  alertLatencyMs: { p50: number; p95: number; max: number };
  messageLatencyMs: { p50: number; p99: number };
  processUs: { p50: number; p99: number };
  maxActiveVessels: number;
  /** Data time from the labelled start of the anomaly to the end of the alerted window (hours). */
  detectionDelayH: { p50: number; max: number };
}

async function until(what: string, pred: () => boolean, deadline: number): Promise<void> {
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function benchAlerts(o: BenchOptions): Promise<BenchResult> {
  const labels = JSON.parse(readFileSync(join(o.data, 'labels.json'), 'utf8')) as Labels;
  const messages = readRawMessages(listRawFiles(o.data));
  const inTopic = `${o.prefix}.in`;
  const outTopic = `${o.prefix}.alerts`;
  const kafka = createKafka(o.brokers, 'regatta-ais-bench');
  // Topics are created on first use (auto-creation): kafkajs' admin.createTopics fails against
  // librdkafka's mock cluster ("Broker 0 not found in the cached metadata": the mock reports a
  // controller id that is none of its brokers').

  const received: (PublishedAlert & { receivedAt: number })[] = [];
  const reader = kafka.consumer({ groupId: `${o.prefix}.reader`, maxWaitTimeInMs: 50, allowAutoTopicCreation: true });
  await reader.connect();
  await reader.subscribe({ topic: outTopic, fromBeginning: true });
  await runJoined(reader, {
    eachMessage: async ({ message }) => {
      received.push({ ...(JSON.parse(message.value?.toString() ?? '{}') as PublishedAlert), receivedAt: Date.now() });
    },
  });
  const service = await startStreamService({ brokers: o.brokers, inTopic, outTopic, groupId: `${o.prefix}.operator`, model: o.model });
  let maxActive = 0;
  const sampler = setInterval(() => { maxActive = Math.max(maxActive, service.stats.activeVessels); }, 100);
  try {
    const t0 = Date.now();
    await replay({ brokers: o.brokers, topic: inTopic, messages, speed: o.speed });
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    await until('the operator to read every message', () => service.stats.messages >= messages.length, deadline);
    await until('every alert on the output topic', () => received.length >= service.stats.alerts, deadline);
    const seconds = (Date.now() - t0) / 1000;
    maxActive = Math.max(maxActive, service.stats.activeVessels);

    const truth = new Set(labels.abnormal.map((a) => a.mmsi));
    const q = quality(messages.map((m) => m.mmsi), new Set(received.map((a) => a.mmsi)), truth);
    const alertLat = new LatencySamples();
    const delay = new LatencySamples();
    for (const a of received) {
      alertLat.add(a.receivedAt - a.triggerProducedAt);
      const l = labels.abnormal.find((x) => x.mmsi === a.mmsi);
      if (l) delay.add((a.windowEnd - l.start) / 3600);
    }
    const s = service.stats;
    return {
      quality: q, messages: messages.length, alerts: received.length, seconds, throughputPerS: Math.round(messages.length / seconds),
      alertLatencyMs: { p50: alertLat.quantile(0.5), p95: alertLat.quantile(0.95), max: alertLat.quantile(1) },
      messageLatencyMs: { p50: s.latencyMs.quantile(0.5), p99: s.latencyMs.quantile(0.99) },
      processUs: { p50: s.processUs.quantile(0.5), p99: s.processUs.quantile(0.99) },
      maxActiveVessels: maxActive,
      detectionDelayH: { p50: delay.quantile(0.5), max: delay.quantile(1) },
    };
  } finally {
    clearInterval(sampler);
    await service.stop();
    await reader.disconnect();
  }
}
