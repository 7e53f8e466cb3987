/** The one API client of the UI: same origin, signed in by the session cookie, with the CSRF header the server asks for. */
import { ApiError, RegattaClient } from '@regatta/sdk/client';

export const api = new RegattaClient({ url: '', headers: { 'x-regatta-csrf': '1' } });

export { ApiError };

/** A message for an error thrown by the client, with the fields the server named. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const fields = e.problem.errors?.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)) ?? [];
    return fields.length ? `${e.message} (${fields.join('; ')})` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export const isUnauthorized = (e: unknown): boolean => e instanceof ApiError && e.status === 401;
