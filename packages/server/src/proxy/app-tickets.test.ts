import { describe, expect, it } from 'vitest';
import { APP_COOKIE_TTL_MS, TICKET_TTL_MS, createAppTickets } from './app-tickets.js';

const run = { runId: '01m8s34xva4b2a527af6', port: 8888 };
const t0 = 1_800_000_000_000;

describe('app hand-over tickets and cookies', () => {
  it('redeems a ticket once, for its own run and port, within its minute', () => {
    const a = createAppTickets(Buffer.alloc(32, 1));
    const ticket = a.ticket(run, t0);
    expect(a.redeem(ticket, { ...run, port: 8889 }, t0)).toBe(false);
    expect(a.redeem(ticket, { ...run, runId: '01m8s34xva4b2a527af7' }, t0)).toBe(false);
    expect(a.redeem(ticket, run, t0 + 1000)).toBe(true);
    expect(a.redeem(ticket, run, t0 + 2000)).toBe(false);
    expect(a.redeem(a.ticket(run, t0), run, t0 + TICKET_TTL_MS)).toBe(false);
  });

  it('refuses tickets of another secret, altered ones and cookies passed off as tickets', () => {
    const a = createAppTickets(Buffer.alloc(32, 1));
    const b = createAppTickets(Buffer.alloc(32, 2));
    expect(a.redeem(b.ticket(run, t0), run, t0)).toBe(false);
    expect(a.redeem(a.ticket(run, t0).replace('.8888.', '.8889.'), { ...run, port: 8889 }, t0)).toBe(false);
    expect(a.redeem(a.cookie(run, t0).value, run, t0)).toBe(false);
    expect(a.redeem('garbage', run, t0)).toBe(false);
  });

  it('verifies a cookie for its scope until it expires, and never a ticket as a cookie', () => {
    const a = createAppTickets(Buffer.alloc(32, 1));
    const c = a.cookie(run, t0);
    expect(a.verifyCookie(c.value, run, t0 + 1)).toBe(t0 + APP_COOKIE_TTL_MS);
    expect(a.verifyCookie(c.value, { ...run, port: 9000 }, t0)).toBeUndefined();
    expect(a.verifyCookie(c.value, run, t0 + APP_COOKIE_TTL_MS)).toBeUndefined();
    expect(a.verifyCookie(a.ticket(run, t0), run, t0)).toBeUndefined();
    expect(a.verifyCookie(undefined, run, t0)).toBeUndefined();
  });
});
