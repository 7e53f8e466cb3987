/** Users and personal tokens as the API answers them. */
import { z } from 'zod';
import { ROLES } from '../users.js';
import { isoTime } from './common.js';

export const roleSchema = z.enum(ROLES);
export const userViewSchema = z.object({
  name: z.string(), role: roleSchema, disabled: z.boolean(), createdAt: isoTime, tokens: z.int().describe('How many tokens the user has'),
});
export const userListSchema = z.object({ items: z.array(userViewSchema) });
export const tokenViewSchema = z.object({
  id: z.string(), name: z.string(), user: z.string(), createdAt: isoTime, expiresAt: isoTime.nullable(), expired: z.boolean(),
});
export const tokenListSchema = z.object({ items: z.array(tokenViewSchema) });
/** A token just made: `token` is its secret, shown this once. */
export const createdTokenSchema = tokenViewSchema.extend({ token: z.string().describe('The secret: shown this once, stored only as its SHA-256') });
export const userAddedSchema = z.object({ user: userViewSchema, token: createdTokenSchema });
