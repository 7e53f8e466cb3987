import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

let lastTime = -1;
let lastRand: number[] = [];

/**
 * Time-ordered ids (ULID layout: 10 chars of milliseconds, 10 random), so that sorting by id is
 * sorting by creation time and cursor pagination needs no extra column. Ids made in the same
 * millisecond increase too (the random part counts up), so the items of a group keep their order.
 */
export function newId(now: number = Date.now()): string {
  let t = Math.max(now, lastTime);
  if (t === lastTime) {
    // Increment the random part as a base-32 number.
    let i = lastRand.length - 1;
    while (i >= 0 && lastRand[i] === 31) lastRand[i--] = 0;
    if (i < 0) {
      t = lastTime + 1; // 32^10 ids in one millisecond: move on to the next one
      lastRand = [...randomBytes(10)].map((b) => b % 16);
    } else {
      lastRand[i] = (lastRand[i] ?? 0) + 1;
    }
  } else {
    // Leave headroom for counting up within this millisecond.
    lastRand = [...randomBytes(10)].map((b) => b % 16);
  }
  lastTime = t;
  let time = '';
  for (let i = 0, x = t; i < 10; i++) {
    time = ALPHABET[x % 32] + time;
    x = Math.floor(x / 32);
  }
  return time + lastRand.map((d) => ALPHABET[d]).join('');
}

export const ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{20}$/;

export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}
