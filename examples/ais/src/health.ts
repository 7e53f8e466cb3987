/**
 * The stream service's health, as the Kafka consumer sees it, served over HTTP for a `health: {http}`
 * check: healthy while the consumer is in its group and has fetched from the broker recently (it
 * fetches every 50 ms, messages or not), so a broker that is down or unreachable shows as unhealthy
 * instead of a `running` service whose log fills with connection errors.
 */
import { createServer, type Server } from 'node:http';

export type ConsumerState = 'connecting' | 'joining' | 'consuming' | 'rebalancing' | 'crashed' | 'stopped';

export interface HealthReport {
  healthy: boolean;
  state: ConsumerState;
  /** Seconds since the last fetch answered by the broker (null: none yet). */
  since_fetch_s: number | null;
  last_error?: string;
  messages: number;
  /** Messages that were neither a valid JSON report nor a decodable NMEA line, by reason. */
  invalid: Record<string, number>;
}

export class ConsumerHealth {
  state: ConsumerState = 'connecting';
  lastFetchAt = 0;
  lastError: string | undefined;
  messages = 0;
  invalid: Record<string, number> = {};

  /** staleMs: a consumer that has not fetched for this long is unhealthy. */
  constructor(private readonly staleMs = 15_000) {}

  set(state: ConsumerState, error?: unknown): void {
    this.state = state;
    if (error !== undefined) this.lastError = error instanceof Error ? error.message : String(error);
  }

  fetched(now = Date.now()): void {
    this.lastFetchAt = now;
  }

  report(now = Date.now()): HealthReport {
    const since = this.lastFetchAt ? (now - this.lastFetchAt) / 1000 : null;
    return {
      healthy: this.state === 'consuming' && since !== null && since * 1000 <= this.staleMs,
      state: this.state,
      since_fetch_s: since,
      ...(this.lastError ? { last_error: this.lastError } : {}),
      messages: this.messages,
      invalid: this.invalid,
    };
  }
}

/** GET /health: 200 when healthy, 503 otherwise, the report as JSON either way. Resolves once listening. */
export function serveHealth(health: ConsumerHealth, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"GET /health"}');
      return;
    }
    const r = health.report();
    res.writeHead(r.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
