import type { Command } from 'commander';

export function serverCommand(program: Command): void {
  program
    .command('server')
    .description('Start the Regatta server (a SQLite store by default, PostgreSQL with --db; runs on this machine)')
    .option('--data <dir>', 'data directory (default ./.regatta, or $REGATTA_DATA)')
    .option('--port <n>', 'port to listen on (default 8080, or $REGATTA_PORT)', (v) => Number(v))
    .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
    .option('--db <url|file>', 'store: postgresql://user@host/db, or a SQLite file (default <data>/regatta.db, or $REGATTA_DB)')
    .option('--config <file>', 'YAML configuration file')
    .option('--public-url <url>', 'URL jobs use to reach the API')
    .option('--log-level <level>', 'trace, debug, info, warn, error or silent')
    .option('--drain', 'on SIGTERM/SIGINT, start no more runs and wait for the active ones to end before exiting (a second signal exits at once); without it, runs keep going and the next start re-attaches them')
    .action(async (o: { data?: string; db?: string; port?: number; host?: string; config?: string; publicUrl?: string; logLevel?: string; drain?: boolean }) => {
      // Loaded here so that client commands start without the server's dependencies.
      const { compileServerConfig, startServer } = await import('@regatta/server');
      const config = compileServerConfig(
        { data: o.data, db: o.db, port: o.port, host: o.host, config: o.config, publicUrl: o.publicUrl, logLevel: o.logLevel as 'info' | undefined },
        process.env,
      );
      const server = await startServer(config, { env: process.env });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          // Asked again while draining: leave the runs to the next start.
          process.stdout.write(`${signal}: exiting now; active runs keep running\n`);
          process.exit(0);
        }
        stopping = true;
        process.stdout.write(o.drain ? `${signal}: draining (waiting for active runs to end)\n` : `${signal}: stopping (active runs keep running)\n`);
        server.close({ drain: o.drain === true }).then(() => process.exit(0), (e: unknown) => {
          process.stderr.write(`shutdown failed: ${String(e)}\n`);
          process.exit(1);
        });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      // Printed once the handlers are in: a script that signals on seeing this line gets a clean stop.
      process.stdout.write(`Regatta ${server.url} (data: ${config.dataDir})\n`);
      if (server.createdAdminToken) {
        process.stdout.write(
          `Admin token (shown once, stored hashed):\n  export REGATTA_URL=${server.url} REGATTA_TOKEN=${server.createdAdminToken}\n`,
        );
      }
    });
}
