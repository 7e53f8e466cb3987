/** People who use a server, and what their role lets them do. */

/** admin: everything; member: submit, read all, act on their own runs and groups; viewer: read only. */
export const ROLES = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** User names: what `createdBy` holds and `?user=` filters by. */
export const USER_NAME_PATTERN = /^[a-z][a-z0-9._-]{0,39}$/;
export const USER_NAME_RULE = 'lower-case letters, digits, dot, dash or underscore, starting with a letter, at most 40';

/** The user the first-start admin token and REGATTA_TOKEN act as. */
export const BOOTSTRAP_USER = 'admin';
