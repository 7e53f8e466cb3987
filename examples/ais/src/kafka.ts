/**
 * The Kafka side of the example (kafkajs): the stream service (input topic → operator → alerts
 * topic) and the replay of a raw data set into a topic.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import type { AisPosition } from './ais-message.js';
import type { ConsumerHealth } from './health.js';
import { AisDecoder } from './reassembly.js';
import type { AisModel } from './model.js';
import { LatencySamples } from './latency.js';
import { OPERATOR_DEFAULTS, parseStreamMessage, VesselTracker, type Alert, type OperatorOptions, type StreamMessage } from './stream-operator.js';
import { readFileSync } from 'node:fs';

export function createKafka(brokers: string[], clientId: string): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.WARN, retry: { retries: 8, initialRetryTime: 100 } });
}

/**
 * Runs the consumer and resolves once it has joined its group: `consumer.run` returns before that,
 * and what is produced meanwhile would wait for the join (seconds) and count as latency.
 */
export async function runJoined(consumer: Consumer, run: Parameters<Consumer['run']>[0], timeoutMs = 60_000): Promise<void> {
  let remove: (() => void) | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the consumer did not join its group')), timeoutMs);
    remove = consumer.on(consumer.events.GROUP_JOIN, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await consumer.run(run);
    await joined;
  } finally {
    remove?.();
  }
}

export function newProducer(kafka: Kafka): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
}

/** An alert as published: the operator's alert and when (wall clock, ms) its trigger was produced and it was raised. */
export interface PublishedAlert extends Alert {
  triggerProducedAt: number;
  detectedAt: number;
}

export interface StreamStats {
  messages: number;
  invalid: number;
  /** Invalid messages by reason (JSON fields, or why a raw NMEA line did not decode). */
  invalidByReason: Record<string, number>;
  alerts: number;
  activeVessels: number;
  /** Produce-to-processed latency of input messages (ms). */
  latencyMs: LatencySamples;
  /** Time the operator spends on one message (µs). */
  processUs: LatencySamples;
}

export interface StreamServiceOptions {
  brokers: string[];
  inTopic: string;
  outTopic: string;
  groupId: string;
  model: AisModel;
  operator?: OperatorOptions;
  onAlert?: (a: PublishedAlert) => void;
  /** The consumer crashed and kafkajs gives up restarting it: the process should exit, so its run restarts. */
  onFatal?: (e: Error) => void;
  /** Kept up to date with the consumer's state (health.ts). */
  health?: ConsumerHealth;
  /** Each invalid message (or dropped part of a multi-sentence one), with the reason. */
  onInvalid?: (reason: string, value: string) => void;
}

export interface StreamService {
  stats: StreamStats;
  stop(): Promise<void>;
}

export async function startStreamService(o: StreamServiceOptions): Promise<StreamService> {
  const kafka = createKafka(o.brokers, 'regatta-ais-stream');
  const tracker = new VesselTracker(o.model, o.operator ?? OPERATOR_DEFAULTS);
  const stats: StreamStats = { messages: 0, invalid: 0, invalidByReason: {}, alerts: 0, activeVessels: 0, latencyMs: new LatencySamples(), processUs: new LatencySamples() };
  const producer = newProducer(kafka);
  const consumer = kafka.consumer({ groupId: o.groupId, allowAutoTopicCreation: true, maxWaitTimeInMs: 50 });
  const h = o.health;
  if (h) {
    consumer.on(consumer.events.CONNECT, () => h.set('joining'));
    consumer.on(consumer.events.GROUP_JOIN, () => h.set('consuming'));
    consumer.on(consumer.events.REBALANCING, () => h.set('rebalancing'));
    consumer.on(consumer.events.FETCH, () => h.fetched());
    consumer.on(consumer.events.REQUEST_TIMEOUT, (e) => { h.lastError = `request timeout (broker ${e.payload.broker})`; });
    consumer.on(consumer.events.CRASH, (e) => h.set('crashed', e.payload.error));
    consumer.on(consumer.events.STOP, () => h.set('stopped'));
  }
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: o.inTopic, fromBeginning: true });
  } catch (e) {
    h?.set('connecting', e);
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw e;
  }
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) o.onFatal?.(e.payload.error);
  });
  // Raw NMEA lines on the topic (a receiver's feed as is: values with a '!') are decoded here, their
  // receive time the Kafka message's timestamp unless the line has its own; other values are JSON.
  const decoder = new AisDecoder();
  const invalid = (reason: string, value: string) => {
    stats.invalid++;
    stats.invalidByReason[reason] = (stats.invalidByReason[reason] ?? 0) + 1;
    o.onInvalid?.(reason, value);
  };
  if (h) h.invalid = stats.invalidByReason;
  let sinceEvict = 0;
  const joined = runJoined(consumer, {
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const out: PublishedAlert[] = [];
      for (const message of batch.messages) {
        const t0 = performance.now();
        const value = message.value?.toString() ?? '';
        let parsed: StreamMessage | string | undefined;
        const first = value.trimStart().charCodeAt(0);
        if (first === 123 /* { */ || !value.includes('!')) {
          try {
            parsed = parseStreamMessage(JSON.parse(value));
          } catch {
            parsed = 'not JSON';
          }
        } else {
          const r = decoder.push(value, '', Number(message.timestamp) / 1000);
          for (const d of decoder.dropped()) invalid(d.reason, d.line);
          parsed = r.ok ? toStreamMessage(r.msg) : r.skip ? undefined : r.reason;
        }
        if (typeof parsed === 'string') invalid(parsed, value);
        else if (parsed) {
          const alert = tracker.push(parsed);
          if (alert) out.push({ ...alert, triggerProducedAt: Number(message.timestamp), detectedAt: Date.now() });
        }
        stats.messages++;
        if (h) h.messages = stats.messages;
        stats.processUs.add((performance.now() - t0) * 1000);
        stats.latencyMs.add(Date.now() - Number(message.timestamp));
        resolveOffset(message.offset);
        if (++sinceEvict >= 10_000) {
          sinceEvict = 0;
          tracker.evictIdle();
        }
      }
      stats.activeVessels = tracker.activeVessels;
      if (out.length) {
        await producer.send({ topic: o.outTopic, messages: out.map((a) => ({ key: String(a.mmsi), value: JSON.stringify(a) })) });
        stats.alerts += out.length;
        for (const a of out) o.onAlert?.(a);
      }
      await heartbeat();
    },
  });
  await joined.catch(async (e: unknown) => {
    h?.set('connecting', e);
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw e;
  });
  return {
    stats,
    stop: async () => {
      h?.set('stopped');
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

export function toStreamMessage(m: AisPosition): StreamMessage {
  return { mmsi: m.mmsi, lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, heading: m.heading, timestamp: m.ts, nav_status: m.navStatus, rot: m.rot };
}

/** Every decodable report of the raw files, in time order (bad lines are skipped: the builder reports them). */
export function readRawMessages(files: readonly string[]): AisPosition[] {
  const out: AisPosition[] = [];
  for (const f of files) {
    const decoder = new AisDecoder();
    for (const line of readFileSync(f, 'latin1').split('\n')) {
      const r = decoder.push(line);
      if (r.ok) out.push(r.msg);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

export interface ReplayOptions {
  brokers: string[];
  topic: string;
  messages: readonly AisPosition[];
  /** Data seconds per wall-clock second; 0 = as fast as the broker takes them. */
  speed: number;
  batch?: number;
  /** Least time between two sends (ms), as a producer's linger.ms: fewer, larger batches. */
  lingerMs?: number;
}

/** Publishes reports keyed by MMSI, paced by their timestamps. Resolves with the count sent. */
export async function replay(o: ReplayOptions): Promise<number> {
  const producer = newProducer(createKafka(o.brokers, 'regatta-ais-replay'));
  await producer.connect();
  try {
    const first = o.messages[0]?.ts ?? 0;
    const start = Date.now();
    const size = o.batch ?? 2000;
    const linger = o.lingerMs ?? 20;
    let lastSend = 0;
    let i = 0;
    while (i < o.messages.length) {
      const head = o.messages[i]!;
      if (o.speed > 0) {
        // Many small batches cost more than their messages: consumers (librdkafka's mock broker
        // notably) read a bounded number of batches per fetch, so tiny sends cap their throughput.
        const wait = Math.max(start + ((head.ts - first) / o.speed) * 1000, lastSend + linger) - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      lastSend = Date.now();
      // One send per batch of messages already due (the head is), at most `size`.
      const dueTs = o.speed > 0 ? first + ((Date.now() - start) / 1000) * o.speed : Infinity;
      let j = i + 1;
      while (j < o.messages.length && j - i < size && o.messages[j]!.ts <= dueTs) j++;
      await producer.send({
        topic: o.topic,
        messages: o.messages.slice(i, j).map((m) => ({ key: String(m.mmsi), value: JSON.stringify(toStreamMessage(m)) })),
      });
      i = j;
    }
    return o.messages.length;
  } finally {
    await producer.disconnect();
  }
}
