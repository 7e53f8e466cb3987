/** Users and personal tokens, as the API answers them (RegattaClient's `users`); the types come from @regatta/core/api-schema. */
import type { CreatedToken, Role, TokenList, UserAdded, UserList, UserView } from '@regatta/core/api-schema';

export type { CreatedToken, Role, TokenView, UserView } from '@regatta/core/api-schema';

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;
/** A request whose answer has no body (204). */
type Send = (method: string, path: string) => Promise<unknown>;

/**
 * @example
 * const { token } = await api.users.add({ name: 'alice', role: 'member' });
 * await api.users.createToken({ name: 'laptop', expires: '30d' });
 */
export class UsersApi {
  constructor(private readonly call: Call, private readonly send: Send) {}

  list(): Promise<UserList> {
    return this.call('GET', '/api/v1/users');
  }

  /** Adds a user and their first token (admin). */
  add(u: { name: string; role: Role; tokenName?: string; expires?: string }): Promise<UserAdded> {
    return this.call('POST', '/api/v1/users', u);
  }

  update(name: string, change: { role?: Role; disabled?: boolean }): Promise<UserView> {
    return this.call('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, change);
  }

  async remove(name: string): Promise<void> {
    await this.send('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
  }

  /** Your tokens, or (admin) another user's. */
  tokens(user?: string): Promise<TokenList> {
    return this.call('GET', `/api/v1/tokens${user ? `?user=${encodeURIComponent(user)}` : ''}`);
  }

  createToken(t: { name: string; expires?: string; user?: string }): Promise<CreatedToken> {
    return this.call('POST', '/api/v1/tokens', t);
  }

  async revokeToken(id: string): Promise<void> {
    await this.send('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  }
}
