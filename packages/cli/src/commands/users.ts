/** `regatta users` (admins manage people) and `regatta tokens` (everyone their own personal tokens). */
import type { Command } from 'commander';
import type { CreatedToken, Role, TokenView } from '@regatta/sdk';
import { RegattaError } from '@regatta/core/basics';
import { clientFrom, type GlobalOptions } from '../context.js';
import { printJson, table } from '../format.js';

const ROLES: readonly Role[] = ['admin', 'member', 'viewer'];

function parseRole(v: string): Role {
  const r = ROLES.find((x) => x === v);
  if (!r) throw new RegattaError('invalid_request', `--role must be one of ${ROLES.join(', ')}, not '${v}'`);
  return r;
}

/** The secret goes to stdout alone on its last line (scripts take it with `tail -1`); the rest says what it is. */
function printSecret(t: CreatedToken): void {
  process.stderr.write(`token ${t.id} (${t.name}) for ${t.user}${t.expiresAt ? `, expires ${t.expiresAt}` : ', no expiry'}; shown once, store it now:\n`);
  process.stdout.write(`${t.token}\n`);
}

const tokenRows = (items: TokenView[]) => table(
  items.map((t) => [t.id, t.name, t.user, t.createdAt.slice(0, 19).replace('T', ' '), t.expiresAt ? `${t.expiresAt.slice(0, 19).replace('T', ' ')}${t.expired ? ' (expired)' : ''}` : 'never']),
  ['ID', 'NAME', 'USER', 'CREATED', 'EXPIRES'],
);

export function userCommands(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('People who use this server and their roles (admin only)');
  users.command('ls', { isDefault: true }).description('List users').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).users.list();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((u) => [u.name, u.role, u.disabled ? 'disabled' : 'active', String(u.tokens), u.createdAt.slice(0, 10)]),
      ['USER', 'ROLE', 'STATE', 'TOKENS', 'CREATED']) + '\n');
  });
  users
    .command('add')
    .description('Add a user; prints their first personal token, once')
    .argument('<name>')
    .requiredOption('--role <role>', 'admin (everything), member (submit; change only their own runs), viewer (read only)', parseRole)
    .option('--expires <duration>', 'the token stops working after this long (30d, 12h)')
    .action(async (name: string, o: { role: Role; expires?: string }) => {
      const { token } = await clientFrom(globals()).users.add({ name, role: o.role, ...(o.expires ? { expires: o.expires } : {}) });
      printSecret(token);
    });
  users.command('rm').description('Remove a user and revoke their tokens (their runs keep their name)').argument('<name>').action(async (name: string) => {
    await clientFrom(globals()).users.remove(name);
    process.stdout.write(`removed ${name}\n`);
  });
  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    users.command(verb).description(disabled ? "Disable a user: their tokens and sessions stop working at once" : 'Enable a disabled user').argument('<name>')
      .action(async (name: string) => {
        const u = await clientFrom(globals()).users.update(name, { disabled });
        process.stdout.write(`${u.name}: ${u.disabled ? 'disabled' : 'active'}\n`);
      });
  }
  users.command('role').description("Change a user's role").argument('<name>').argument('<role>', ROLES.join('|'), parseRole).action(async (name: string, role: Role) => {
    const u = await clientFrom(globals()).users.update(name, { role });
    process.stdout.write(`${u.name}: ${u.role}\n`);
  });

  const tokens = program.command('tokens').description('Your personal API tokens');
  tokens.command('ls', { isDefault: true }).description('List your tokens (never their secrets)').option('--user <name>', "another user's (admin)").option('--json', 'print JSON')
    .action(async (o: { user?: string; json?: boolean }) => {
      const page = await clientFrom(globals()).users.tokens(o.user);
      if (printJson(page, o)) return;
      process.stdout.write(tokenRows(page.items) + '\n');
    });
  tokens
    .command('create')
    .description('Create a personal token; prints it once')
    .option('--name <name>', 'what it is for (default: token)', 'token')
    .option('--expires <duration>', 'stop working after this long (30d, 12h); default: until revoked')
    .option('--user <name>', 'for another user (admin)')
    .action(async (o: { name: string; expires?: string; user?: string }) => {
      printSecret(await clientFrom(globals()).users.createToken({ name: o.name, ...(o.expires ? { expires: o.expires } : {}), ...(o.user ? { user: o.user } : {}) }));
    });
  tokens.command('revoke').description('Revoke a token: refused from the next request on').argument('<id>').action(async (id: string) => {
    await clientFrom(globals()).users.revokeToken(id);
    process.stdout.write(`revoked ${id}\n`);
  });

  program.command('whoami').description('The user and role your token acts as').action(async () => {
    const s = await clientFrom(globals()).session();
    process.stdout.write(`${s.user ?? '-'} (${s.role ?? '-'})\n`);
  });
}
