/**
 * `regatta-ais stream`: the stream service as a long-running process. Brokers that cannot be reached
 * at start are retried (backoff up to 30 s) rather than exiting: the health endpoint says so
 * (`connecting`, with the last error), which a run's `health` check turns into `unhealthy`.
 */
import { ConsumerHealth, serveHealth } from './health.js';
import { startStreamService, type PublishedAlert, type StreamService, type StreamServiceOptions } from './kafka.js';

export interface StreamCommandOptions extends Omit<StreamServiceOptions, 'health' | 'onAlert'> {
  /** Serve GET /health on this port (0: any; the URL is printed). */
  healthPort?: number;
  reportEveryS: number;
  onAlert: (a: PublishedAlert) => void;
  report: (s: StreamService['stats'], invalidByReason: Record<string, number>) => Promise<void>;
}

export async function runStreamCommand(o: StreamCommandOptions): Promise<void> {
  let stop: () => void = () => undefined;
  const stopping = new Promise<void>((resolve) => { stop = resolve; });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const health = new ConsumerHealth();
  const server = o.healthPort === undefined ? undefined : await serveHealth(health, o.healthPort);
  const addr = server?.address();
  if (addr && typeof addr === 'object') console.log(`health: http://127.0.0.1:${addr.port}/health`);
  try {
    let service: StreamService | undefined;
    let waitMs = 1000;
    while (!service) {
      try {
        service = await startStreamService({ ...o, health });
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
  }
}
