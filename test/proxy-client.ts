/** A plain node:http client for the proxy tests: any Host header, streamed bodies, raw answers. */
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function send(url: string, o: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer | Readable } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const body = o.body;
    // Node sends a body of DELETE/OPTIONS without framing unless told its length.
    const headers = (typeof body === 'string' || Buffer.isBuffer(body)) && !o.headers?.['content-length']
      ? { ...o.headers, 'content-length': Buffer.byteLength(body) } : o.headers;
    const req = request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: o.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.body === undefined || typeof o.body === 'string' || Buffer.isBuffer(o.body)) req.end(o.body);
    else o.body.pipe(req);
  });
}

/** Opens a WebSocket; resolves with the socket once open, or with the refusal's status code. */
export function openWs(url: string, headers: Record<string, string>): Promise<{ ws?: WebSocket; status: number; first?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, r) => {
      resolve({ status: r.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('message', (data: Buffer) => resolve({ ws, status: 101, first: data.toString() }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

/** The next message of a WebSocket, with whether it came as a binary frame. */
export function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })));
}
