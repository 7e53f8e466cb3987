import type { Command } from 'commander';
import { RegattaError } from '@regatta/core/basics';

/** `regatta db copy`: an install's SQLite file into an empty PostgreSQL database (server stopped). */
export function dbCommands(program: Command): void {
  const db = program.command('db').description('The server\'s database (run with the server stopped)');
  db.command('copy')
    .description('Copy a SQLite store (runs, history, metrics, groups, templates, tokens) into an empty PostgreSQL database')
    .requiredOption('--from <file>', 'the SQLite file, e.g. .regatta/regatta.db')
    .requiredOption('--to <url>', 'postgresql://user@host/db (the database must exist and be empty)')
    .action(async (o: { from: string; to: string }) => {
      if (!/^postgres(ql)?:\/\//i.test(o.to)) throw new RegattaError('invalid_request', `--to: expected a postgresql:// URL, got '${o.to}'`);
      // Loaded here so that client commands start without the store's drivers.
      const { copyDatabase } = await import('@regatta/store');
      const report = await copyDatabase(o.from, o.to, { onTable: (t, n) => process.stderr.write(`  ${t}: ${n} rows\n`) });
      for (const t of report.tables) process.stdout.write(`${t.table.padEnd(18)} ${String(t.source).padStart(10)} → ${String(t.target).padStart(10)}\n`);
      process.stdout.write(`copied ${o.from} into ${new URL(o.to).host}${new URL(o.to).pathname}; every table's count matches\n`);
    });
}
