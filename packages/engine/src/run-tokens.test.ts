import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '@regatta/core';
import { createRunToken, verifyRunToken } from './run-tokens.js';

describe('run tokens', () => {
  const secret = randomBytes(32);
  it('verify for their own run and attempt only', () => {
    for (let i = 0; i < 200; i++) {
      const id = newId();
      const token = createRunToken(secret, id, 2);
      expect(verifyRunToken(secret, token)).toEqual({ runId: id, attempt: 2 });
      expect(verifyRunToken(randomBytes(32), token)).toBeUndefined();
      expect(verifyRunToken(secret, token.replace(`_2_`, '_3_'))).toBeUndefined();
    }
  });
  it('refuse malformed tokens', () => {
    for (const t of ['', 'rrt_', 'rrt_x_1_y', 'rgt_abc', `rrt_${newId()}_0_${'a'.repeat(43)}`]) expect(verifyRunToken(secret, t)).toBeUndefined();
  });
});
