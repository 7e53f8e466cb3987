/**
 * Run ids as people type them: any unique prefix, as git and docker accept (`01m7zv`, `01m7zv...`).
 * Ids are time-ordered, so the newest runs starting with a prefix are the ones just below the prefix
 * padded with the alphabet's last letter: one page of the run list, with no server change.
 */
import { ID_PATTERN, RegattaError } from '@regatta/core';
import type { RegattaClient } from '@regatta/sdk';

const ID_CHARS = /^[0-9a-hjkmnp-tv-z]{1,20}$/;

export async function resolveRunId(api: RegattaClient, typed: string): Promise<string> {
  const prefix = typed.trim().toLowerCase().replace(/\.+$/, '');
  if (ID_PATTERN.test(prefix)) return prefix;
  if (!ID_CHARS.test(prefix)) throw new RegattaError('invalid_request', `'${typed}' is not a run id or the start of one (letters and digits of a run id)`);
  const cursor = prefix.padEnd(20, 'z');
  const [exact, page] = await Promise.all([
    // The cursor itself is excluded from the page: it can only be a run when one letter was missing.
    prefix.length === 19 ? api.getRun(cursor).then((r) => [r.id], () => []) : Promise.resolve([]),
    api.listRuns({ cursor, limit: 2 }),
  ]);
  const matches = [...exact, ...page.items.map((r) => r.id).filter((id) => id.startsWith(prefix))];
  if (!matches.length) throw new RegattaError('not_found', `no run id starts with '${prefix}'`);
  if (matches.length > 1) throw new RegattaError('invalid_request', `'${prefix}' is ambiguous: it starts ${matches.join(', ')} (and maybe more); type more of the id`);
  return matches[0] as string;
}

export function resolveRunIds(api: RegattaClient, typed: readonly string[]): Promise<string[]> {
  return Promise.all(typed.map((t) => resolveRunId(api, t)));
}
