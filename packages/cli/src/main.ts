/** `regatta`: the command-line interface. Server commands start Regatta; the rest talk to its API. */
import { Command, CommanderError } from 'commander';
import { RegattaError, VERSION } from '@regatta/core/basics';
import { ApiError } from '@regatta/sdk';
import { adminCommands } from './commands/admin.js';
import { completionCommand } from './commands/completion.js';
import { dbCommands } from './commands/db.js';
import { metricsCommand } from './commands/metrics.js';
import { rerunCommand } from './commands/rerun.js';
import { groupCommands } from './commands/group.js';
import { inspectCommands } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { serverCommand } from './commands/server.js';
import { templateCommands } from './commands/template.js';
import { userCommands } from './commands/users.js';
import type { GlobalOptions } from './context.js';

const program = new Command('regatta')
  .version(VERSION)
  .description('Run ML training, evaluation and benchmark jobs: one or ten thousand, on one machine or a cluster.')
  .option('--url <url>', 'server URL (default $REGATTA_URL or http://127.0.0.1:8080)')
  .option('--token <token>', 'API token (default $REGATTA_TOKEN)')
  .showHelpAfterError()
  .exitOverride();

const globals = () => program.opts<GlobalOptions>();
// `regatta ls | head`: the reader went away; that is the end of the output, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
let ran: string | undefined;
program.hook('preAction', (_program, action) => { ran = action.name(); });
serverCommand(program);
dbCommands(program);
runCommand(program, globals);
inspectCommands(program, globals);
adminCommands(program, globals);
groupCommands(program, globals);
templateCommands(program, globals);
rerunCommand(program, globals);
metricsCommand(program, globals);
userCommands(program, globals);
completionCommand(program);

function printIssues(issues: readonly { path: string; message: string }[]): void {
  for (const i of issues) process.stderr.write(`  ${i.path || '(root)'}: ${i.message}\n`);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (e instanceof ApiError) {
    process.stderr.write(`error: ${e.problem.detail || e.message}\n`);
    if (e.problem.errors && !(e.problem.detail || '').includes(': ')) printIssues(e.problem.errors);
    process.exitCode = e.status >= 400 && e.status < 500 ? 2 : 1;
  } else if (e instanceof RegattaError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`error: ${err.code === 'ENOENT' && err.path ? `no such file: ${err.path}` : err.message ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
// A client command is done when its action returns: exit now instead of waiting for fetch's idle
// keep-alive socket to let go (0.3-0.5 s on every command). Output is written synchronously on
// Linux (files, pipes, terminals), so nothing is cut. The server keeps running, of course.
if (ran !== 'server') process.exit();
