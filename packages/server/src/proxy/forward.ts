/**
 * One proxied HTTP exchange, streamed both ways with node:http: the request body is piped to the app
 * as it arrives (with backpressure, never held in memory), the answer is piped back as the app
 * writes it (SSE and chunked bodies flow at once). `Expect: 100-continue` is answered by Node's server
 * before the request reaches us, so the app gets a plain request.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Transform, pipeline } from 'node:stream';
import { RegattaError } from '@regatta/core';
import { problemOf } from '../http/problem.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type ForwardContext, type ResponseContext } from './forward-headers.js';

export interface ForwardTarget extends ForwardContext, ResponseContext {
  /** The path (and query) to ask the app for. */
  path: string;
  /** Largest request body passed on, in bytes (undefined: no cap). */
  bodyLimit?: number;
}

/** An error as problem+json, the API's format (or a cut connection once the app's answer began). */
export function sendProxyProblem(res: ServerResponse, err: RegattaError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { status, body } = problemOf(err, res.req.url ?? '/');
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify(body));
}

/** Counts body bytes and fails the stream once it passes the cap. */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > limit) done(new BodyTooLarge(limit));
      else done(null, chunk);
    },
  });
}

class BodyTooLarge extends RegattaError {
  constructor(limit: number) {
    super('payload_too_large', `the request body is larger than the proxy's limit of ${limit} bytes (proxy.bodyLimit)`);
  }
}

export function forwardHttp(req: IncomingMessage, res: ServerResponse, t: ForwardTarget): void {
  // A declared length above the cap is refused before the app hears of it.
  if (t.bodyLimit !== undefined && Number(req.headers['content-length'] ?? 0) > t.bodyLimit) {
    res.shouldKeepAlive = false; // the unread body must not be taken for the next request
    sendProxyProblem(res, new BodyTooLarge(t.bodyLimit));
    req.resume();
    return;
  }
  const [host, port] = splitHostPort(t.upstream);
  const upstream = httpRequest({
    host, port: Number(port), method: req.method, path: t.path, headers: upstreamRequestHeaders(req.headers, t),
  });
  upstream.on('response', (answer) => {
    const headers = downstreamResponseHeaders(answer.headers, t);
    // A cookie the proxy set itself (a renewed app-origin cookie) goes out with the app's.
    const own = res.getHeader('set-cookie');
    if (own !== undefined) headers['set-cookie'] = [...[own].flat().map(String), ...[headers['set-cookie'] ?? []].flat().map(String)];
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
    // Headers go out now: an event stream's client must not wait for the first event.
    res.flushHeaders();
    pipeline(answer, res, () => undefined);
  });
  // pipe(), not pipeline(): a failing app must not destroy the browser's request before it hears why.
  const source = t.bodyLimit === undefined ? req : req.pipe(capped(t.bodyLimit));
  source.pipe(upstream);
  source.on('error', (err) => {
    upstream.destroy();
    if (err instanceof BodyTooLarge) sendProxyProblem(res, err);
  });
  upstream.on('error', (err) => {
    if (res.writableEnded) return; // the app answered in full and then dropped the rest of the upload
    sendProxyProblem(res, new RegattaError('backend_error', `the run did not answer on its port: ${err.message}`));
  });
  // The browser went away: so does the request to the app.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
}

export function splitHostPort(endpoint: string): [string, string] {
  const i = endpoint.lastIndexOf(':');
  return [endpoint.slice(0, i).replace(/^\[|\]$/g, ''), endpoint.slice(i + 1)];
}
