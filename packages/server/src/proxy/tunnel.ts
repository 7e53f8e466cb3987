/**
 * A WebSocket (or any Upgrade) through the proxy: the upgrade request is relayed with the same header
 * rules as plain HTTP, then bytes flow both ways untouched, so text and binary frames, pings and
 * close frames are the app's and the browser's business.
 */
import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { RegattaError } from '@regatta/core';
import { problemOf } from '../http/problem.js';
import { upstreamRequestHeaders, type ForwardContext } from './forward-headers.js';
import { splitHostPort } from './forward.js';

/** Answers an upgrade request with the error as problem+json, and closes. */
export function refuseUpgrade(socket: Duplex, err: RegattaError, url = '/'): void {
  const { status, body } = problemOf(err, url);
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${body.title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

export function tunnel(req: IncomingMessage, socket: Duplex, head: Buffer, t: ForwardContext & { upstream: string; path: string }): void {
  const [host, port] = splitHostPort(t.upstream);
  const upstream = connect({ host, port: Number(port) });
  const lines = [`${req.method ?? 'GET'} ${t.path} HTTP/1.1`];
  for (const [name, value] of Object.entries(upstreamRequestHeaders(req.headers, { ...t, upgrade: true }))) {
    for (const v of [value ?? []].flat()) lines.push(`${name}: ${String(v).replace(/[\r\n]/g, '')}`);
  }
  upstream.once('connect', () => {
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  const close = () => { upstream.destroy(); socket.destroy(); };
  upstream.once('error', (e) => (upstream.readyState === 'opening' ? refuseUpgrade(socket, new RegattaError('backend_error', `the run did not answer on its port: ${e.message}`)) : close()));
  socket.once('error', close);
  socket.once('close', () => upstream.destroy());
  upstream.once('close', () => socket.destroy());
}
