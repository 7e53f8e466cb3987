import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { RegattaError } from '@regatta/core/basics';
import { TERMINAL, type RegattaClient, type Submitted } from '@regatta/sdk';
import { clientFrom, exitCodeFor, type GlobalOptions } from '../context.js';
import { groupExitCode, watchGroup } from './group.js';
import { failedCheck, parseCheck } from '../result-check.js';

const collect = (v: string, prev: string[]) => [...prev, v];

async function followLogs(api: RegattaClient, id: string): Promise<void> {
  const stream = await api.logs(id, { follow: true });
  await stream.pipeTo(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, { preventClose: true });
}

export interface WaitOptions {
  follow?: boolean;
  wait?: boolean;
  detach?: boolean;
  /** Conditions on the result (`path==value`); implies --wait. */
  require?: string[];
}

/** --require: repeatable; implies --wait; exit code 3 when a condition on the result does not hold. */
export const REQUIRE_HELP = "after the run, check its result, e.g. 'evaluations.passed==true' or 'accuracy>=0.9' (repeatable; implies --wait; exit 3 if one fails)";

async function checkResult(api: RegattaClient, id: string, status: string, checks: readonly string[]): Promise<void> {
  const parsed = checks.map(parseCheck);
  if (status !== 'succeeded') return;
  const { result } = await api.getRun(id);
  const failures = parsed.map((c) => failedCheck(c, result)).filter((f): f is string => f !== undefined);
  for (const f of failures) process.stderr.write(`regatta: result check failed: ${f}\n`);
  if (failures.length) process.exitCode = 3;
}

/** What `run` (and `template run`) do once the server answered: print, follow, wait, exit code. */
export async function afterSubmit(api: RegattaClient, submitted: Submitted, o: WaitOptions): Promise<void> {
  if ('groupId' in submitted) {
    if (o.detach) {
      process.stdout.write(`${submitted.groupId}\n`);
      return;
    }
    process.stderr.write(`regatta: group ${submitted.groupId} submitted: ${submitted.total} runs\n`);
    const g = await watchGroup(api, submitted.groupId);
    process.stderr.write(`regatta: group ${g.id} ${g.status}\n`);
    process.exitCode = groupExitCode(g);
    return;
  }
  const { id, status } = submitted;
  const checks = o.require ?? [];
  checks.forEach(parseCheck); // refuse a bad condition before waiting
  if (o.detach || (!o.follow && !o.wait && !checks.length)) {
    process.stdout.write(o.detach ? `${id}\n` : `${id} ${status}\n`);
    return;
  }
  process.stderr.write(`regatta: run ${id} submitted\n`);
  if (o.follow) await followLogs(api, id);
  const run = await api.waitForRun(id, { intervalMs: 200 });
  process.stderr.write(`regatta: run ${id} ${run.status}${run.reason ? ` (${run.reason})` : ''}\n`);
  process.exitCode = exitCodeFor(run.status, run.exitCode);
  if (checks.length) await checkResult(api, id, run.status, checks);
}

export function runCommand(program: Command, globals: () => GlobalOptions): void {
  finishCommand(program, globals);
  program
    .command('run')
    .description('Submit a run (or a fan-out group: matrix/foreach, shown with a progress bar) from a job spec, or a command after --')
    .argument('[command...]', 'command to run when no spec file is given')
    .option('-f, --file <spec>', 'job spec file (- for stdin)')
    .option('--set <path=value>', 'override a spec field, e.g. params.lr=0.01 (repeatable)', collect, [])
    .option('--follow', 'stream logs until the run ends, then exit with its exit code')
    .option('--wait', 'wait for the run to end without streaming logs, then exit with its exit code')
    .option('--detach', 'print only the run id')
    .option('--require <condition>', REQUIRE_HELP, collect, [])
    .action(async (command: string[], o: { file?: string; set: string[]; follow?: boolean; wait?: boolean; detach?: boolean; require: string[] }) => {
      if (!o.file && !command.length) throw new Error('give a spec file with -f, or a command after --');
      const api = clientFrom(globals());
      // Loaded here: the spec schema (zod, yaml) is what other commands start without.
      const { loadSpec, uploadBuildContext } = await import('../spec-file.js');
      const { spec, baseDir } = loadSpec(o.file, o.set, command);
      await uploadBuildContext(spec, baseDir, api);
      await afterSubmit(api, await api.submitAny(spec), o);
    });

  program
    .command('logs')
    .description("Print a run's logs")
    .argument('<id>', 'run id')
    .option('-f, --follow', 'keep streaming until the run ends')
    .option('--attempt <n>', 'attempt number (default: latest)', (v) => Number(v))
    .option('--service <name>', "a service's log instead of the main task's")
    .action(async (id: string, o: { follow?: boolean; attempt?: number; service?: string }) => {
      const api = clientFrom(globals());
      const stream = await api.logs(id, {
        ...(o.follow ? { follow: true } : {}), ...(o.attempt ? { attempt: o.attempt } : {}), ...(o.service ? { service: o.service } : {}),
      });
      await stream.pipeTo(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, { preventClose: true });
    });

  program
    .command('cancel')
    .description('Cancel runs (SIGTERM to the process group, SIGKILL after the grace period)')
    .argument('<ids...>', 'run ids')
    .option('--wait', 'wait until each run has ended')
    .action(async (ids: string[], o: { wait?: boolean }) => {
      const api = clientFrom(globals());
      for (const id of ids) {
        await api.cancel(id);
        const run = o.wait ? await api.waitForRun(id, { intervalMs: 100 }) : await api.getRun(id);
        process.stdout.write(`${id} ${TERMINAL.has(run.status) ? run.status : `${run.status} (canceling)`}\n`);
      }
    });
}

function finishCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('finish')
    .description('Force an active run to finish as succeeded, through cleanup (again during cleanup: stop what is left now)')
    .argument('<id>', 'run id')
    .option('--result <file>', "set the run's result from a JSON file (- for stdin)")
    .option('--wait', 'wait until the run has ended')
    .action(async (id: string, o: { result?: string; wait?: boolean }) => {
      let result: unknown;
      if (o.result !== undefined) {
        const text = readFileSync(o.result === '-' ? 0 : o.result, 'utf8');
        try {
          result = JSON.parse(text) as unknown;
        } catch (e) {
          throw new RegattaError('invalid_request', `--result: ${o.result} is not valid JSON (${(e as Error).message})`);
        }
      }
      const api = clientFrom(globals());
      await api.finish(id, result);
      const run = o.wait ? await api.waitForRun(id, { intervalMs: 100 }) : await api.getRun(id);
      process.stdout.write(`${id} ${TERMINAL.has(run.status) ? run.status : `${run.status} (finishing)`}\n`);
    });
}
