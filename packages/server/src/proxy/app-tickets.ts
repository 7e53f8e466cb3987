/**
 * The signed values that hand an app origin over without sharing Regatta's session: a one-time
 * ticket (a minute, in the redirect from the signed-in UI) and the cookie it is exchanged for (an
 * hour, renewed while used). Both name one run and one port; a key of their own, derived from the
 * server secret, keeps them from passing for sessions or run tokens.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TICKET_TTL_MS = 60_000;
export const APP_COOKIE_TTL_MS = 3600_000;
export const APP_COOKIE = 'regatta_app';

export interface AppScope {
  runId: string;
  port: number;
}

export interface AppTickets {
  ticket(scope: AppScope, now: number): string;
  /** True once per ticket, for the scope it was made for, within its minute. */
  redeem(value: string, scope: AppScope, now: number): boolean;
  cookie(scope: AppScope, now: number): { value: string; expires: number };
  /** The expiry of a valid cookie for this scope, else undefined. */
  verifyCookie(value: string | undefined, scope: AppScope, now: number): number | undefined;
}

const SHAPE = /^([a-z0-9]+)\.([0-9a-z]+)\.(\d{1,5})\.(\d+)(?:\.([A-Za-z0-9_-]+))?\.([A-Za-z0-9_-]+)$/;

export function createAppTickets(secret: Buffer): AppTickets {
  const key = createHmac('sha256', secret).update('regatta app origin v1').digest();
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');
  const used = new Map<string, number>(); // ticket nonce → expiry: a ticket works once
  const make = (kind: string, s: AppScope, expires: number, nonce?: string) => {
    const body = `${kind}.${s.runId}.${s.port}.${expires}${nonce ? `.${nonce}` : ''}`;
    return `${body}.${sign(body)}`;
  };
  const check = (kind: string, value: string | undefined, s: AppScope, now: number) => {
    const m = value ? SHAPE.exec(value) : null;
    if (!m || !value) return undefined;
    const [, k, runId, port, expires = '0', nonce, mac = ''] = m;
    const want = Buffer.from(sign(value.slice(0, value.length - mac.length - 1)));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    if (k !== kind || runId !== s.runId || Number(port) !== s.port || Number(expires) <= now) return undefined;
    return { expires: Number(expires), nonce };
  };
  return {
    ticket: (s, now) => make('t1', s, now + TICKET_TTL_MS, randomBytes(12).toString('base64url')),
    redeem(value, s, now) {
      for (const [n, exp] of used) if (exp <= now) used.delete(n);
      const ok = check('t1', value, s, now);
      if (!ok?.nonce || used.has(ok.nonce)) return false;
      used.set(ok.nonce, ok.expires);
      return true;
    },
    cookie(s, now) {
      const expires = now + APP_COOKIE_TTL_MS;
      return { value: make('c1', s, expires), expires };
    },
    verifyCookie: (value, s, now) => check('c1', value, s, now)?.expires,
  };
}
