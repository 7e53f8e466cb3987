import { describe, expect, it } from 'vitest';
import { originRefusal, ownOrigins } from './origin.js';

const allowed = ownOrigins('127.0.0.1:8080');

describe('originRefusal', () => {
  it('lets reads through, and state changes and WebSockets only from an allowed Origin', () => {
    expect(originRefusal('GET', { origin: 'http://evil.example' }, allowed, { upgrade: false, byCookie: true })).toBeUndefined();
    expect(originRefusal('POST', { origin: 'http://127.0.0.1:8080' }, allowed, { upgrade: false, byCookie: true })).toBeUndefined();
    expect(originRefusal('POST', { origin: 'http://127.0.0.1:18479' }, allowed, { upgrade: false, byCookie: true })).toContain('127.0.0.1:18479');
    expect(originRefusal('GET', { origin: 'http://127.0.0.1:18479' }, allowed, { upgrade: true, byCookie: true })).toBeDefined();
    expect(originRefusal('DELETE', { origin: 'null' }, allowed, { upgrade: false, byCookie: false })).toBeDefined();
  });

  it('needs an Origin from a cookie-signed request, not from a token-signed one', () => {
    expect(originRefusal('POST', {}, allowed, { upgrade: false, byCookie: true })).toBeDefined();
    expect(originRefusal('POST', {}, allowed, { upgrade: false, byCookie: false })).toBeUndefined();
    expect(originRefusal('GET', {}, allowed, { upgrade: true, byCookie: true })).toBeDefined();
  });
});
