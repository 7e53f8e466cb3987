/** Which user process jobs run as on this machine, said out loud at start-up. */
import { resolveJobUser, type JobIdentity } from '@regatta/runtimes';
import { RegattaError, type Logger } from '@regatta/core';
import type { ServerConfig } from './config.js';

export function jobUserOf(config: ServerConfig, logger: Logger): JobIdentity | undefined {
  const uid = process.getuid?.();
  let who: JobIdentity | undefined;
  try {
    who = resolveJobUser(config.jobs.user, uid);
  } catch (e) {
    throw new RegattaError('invalid_request', (e as Error).message, { issues: [{ path: 'jobs.user', message: (e as Error).message }] });
  }
  if (who) {
    logger.info({ user: who.name, uid: who.uid, gid: who.gid }, `process jobs run as user '${who.name}' (uid ${who.uid}), not as the server`);
  } else {
    logger.warn({ uid }, 'WARNING: the server is not running as root, so process jobs run as the server\'s own user and can read its data '
      + `directory (${config.dataDir}: the secret, the database). Run only trusted code, or start the server as root so jobs run as an unprivileged user (jobs.user).`);
    if (config.jobs.user) logger.warn({ user: config.jobs.user }, 'jobs.user is ignored: only a server running as root can run jobs as another user');
  }
  return who;
}
