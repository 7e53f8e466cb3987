/**
 * `regatta-ais stream`: the stream service as a long-running process. Brokers that cannot be reached
 * at start are retried (backoff up to 30 s) rather than exiting: the health endpoint says so
 * (`connecting`, with the last error), which a run's `health` check turns into `unhealthy`.
 */
import { createWriteStream } from 'node:fs';
import { ConsumerHealth, serveHealth } from './health.js';
import { startStreamService, type PublishedAlert, type StreamService, type StreamServiceOptions } from './kafka.js';

export interface StreamCommandOptions extends Omit<StreamServiceOptions, 'health' | 'onAlert' | 'onInvalid'> {
  /** Serve GET /health on this port (0: any; the URL is printed). */
  healthPort?: number;
  /** Invalid messages are appended here (`reason: value`), the first ERRORS_CAP of them. */
  errorsFile?: string;
  reportEveryS: number;
  onAlert: (a: PublishedAlert) => void;
  report: (s: StreamService['stats'], invalidByReason: Record<string, number>) => Promise<void>;
}

/** A long-running service keeps counting invalid messages, but writes only the first ones. */
export const ERRORS_CAP = 10_000;

export async function runStreamCommand(o: StreamCommandOptions): Promise<void> {
  let stop: () => void = () => undefined;
  const stopping = new Promise<void>((resolve) => { stop = resolve; });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const health = new ConsumerHealth();
  const errors = o.errorsFile ? createWriteStream(o.errorsFile, { flags: 'a' }) : undefined;
  let written = 0;
  const onInvalid = (reason: string, value: string) => {
    if (!errors || written > ERRORS_CAP) return;
    errors.write(++written > ERRORS_CAP ? `(more invalid messages: counted in the metrics, not written)\n` : `${reason}: ${value.replace(/[\r\n]+/g, ' ')}\n`);
  };
  const server = o.healthPort === undefined ? undefined : await serveHealth(health, o.healthPort);
  const addr = server?.address();
  if (addr && typeof addr === 'object') console.log(`health: http://127.0.0.1:${addr.port}/health`);
  try {
    let service: StreamService | undefined;
    let waitMs = 1000;
    while (!service) {
      try {
        service = await startStreamService({ ...o, health, onInvalid });
      } catch (e) {
        health.set('connecting', e);
        console.error(`regatta-ais: cannot start the consumer (${e instanceof Error ? e.message : String(e)}); retrying in ${waitMs / 1000} s`);
        const stopped = await Promise.race([stopping.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), waitMs))]);
        if (stopped) return;
        waitMs = Math.min(waitMs * 2, 30_000);
      }
    }
    console.log(`stream: reading ${o.inTopic}, alerts to ${o.outTopic}`);
    const s = service;
    const report = () => o.report(s.stats, s.stats.invalidByReason).catch((e: unknown) => console.error(`regatta-ais: metrics not reported: ${String(e)}`));
    const timer = setInterval(() => void report(), o.reportEveryS * 1000);
    await stopping;
    clearInterval(timer);
    await report();
    await s.stop();
  } finally {
    server?.close();
    errors?.end();
  }
}
