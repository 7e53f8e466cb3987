import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Time-ordered ids (ULID layout: 10 chars of milliseconds, 10 random), so that sorting by id is
 * sorting by creation time and cursor pagination needs no extra column.
 */
export function newId(now: number = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 32];
  return time + rand;
}

export const ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{20}$/;

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
