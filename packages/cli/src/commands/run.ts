import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { RegattaError } from '@regatta/core/basics';
import { TERMINAL, type RegattaClient, type Submitted } from '@regatta/sdk';
import { clientFrom, exitCodeFor, type GlobalOptions } from '../context.js';
import { groupExitCode, watchGroup } from './group.js';
import { failedCheck, parseCheck } from '../result-check.js';
import { resolveRunId, resolveRunIds } from '../ids.js';
import { lastLines, rankFilter, rankLines } from '../log-lines.js';
import { addRunFlags, applyRunFlags, commandOverride, detachOnInterrupt, type RunFlags } from '../run-options.js';

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

/** --set, --follow, --wait, --detach and --require, as `run`, `template run` and `rerun` take them. */
export function addSubmitOptions(cmd: Command): Command {
  return cmd
    .option('--set <path=value>', 'override a spec field, e.g. params.lr=0.01 (repeatable; applied after the flags above)', collect, [])
    .option('--follow', 'stream logs until the run ends, then exit with its exit code (Ctrl-C detaches; the run keeps going)')
    .option('--wait', 'wait for the run to end without streaming logs, then exit with its exit code (Ctrl-C detaches)')
    .option('--detach', 'print only the run id')
    .option('--require <condition>', REQUIRE_HELP, collect, []);
}

/** What `run` (and `template run`) do once the server answered: print, follow, wait, exit code. */
export async function afterSubmit(api: RegattaClient, submitted: Submitted, o: WaitOptions): Promise<void> {
  if ('groupId' in submitted) {
    if (o.detach) {
      process.stdout.write(`${submitted.groupId}\n`);
      return;
    }
    // The handler goes in before the line that tells a person (or a script) Ctrl-C now detaches.
    detachOnInterrupt(`group ${submitted.groupId} keeps running (regatta group cancel ${submitted.groupId})`);
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
  detachOnInterrupt(`run ${id} keeps running (regatta cancel ${id})`);
  process.stderr.write(`regatta: run ${id} submitted\n`);
  if (o.follow) await followLogs(api, id);
  const run = await api.waitForRun(id, { intervalMs: 200 });
  process.stderr.write(`regatta: run ${id} ${run.status}${run.reason ? ` (${run.reason})` : ''}\n`);
  process.exitCode = exitCodeFor(run.status, run.exitCode);
  if (checks.length) await checkResult(api, id, run.status, checks);
}

export function runCommand(program: Command, globals: () => GlobalOptions): void {
  finishCommand(program, globals);
  addSubmitOptions(addRunFlags(program
    .command('run')
    .description('Submit a run (or a fan-out group: matrix/foreach, shown with a progress bar) from a job spec, or a command after --')
    .argument('[command...]', 'with no -f: the command to run; with -f: only after --, a command replacing the spec\'s')
    .option('-f, --file <spec>', 'job spec file (- for stdin)')))
    .addHelpText('after', `
Inline runs: \`regatta run -- python3 train.py\` runs in the current directory (as srun does): nothing
is uploaded, so the server must see the same path (the same machine or a shared file system).
--workdir DIR runs elsewhere; a spec with files: or build: ships files instead.
Ctrl-C on --follow/--wait detaches: the run keeps running (regatta cancel ID stops it), exit status 130.`)
    .action(async (words: string[], o: RunFlags & { file?: string; set: string[]; follow?: boolean; wait?: boolean; detach?: boolean; require: string[] }) => {
      if (!o.file && !words.length) throw new Error('give a spec file with -f, or a command after --');
      const command = commandOverride(o.file, words);
      const api = clientFrom(globals());
      // Loaded here: the spec schema (zod, yaml) is what other commands start without.
      const { loadSpec, uploadBuildContext } = await import('../spec-file.js');
      const { spec, baseDir } = loadSpec(o.file, o.set, [], (s) => {
        if (command.length) {
          if (o.file) process.stderr.write(`regatta: the command after -- replaces the spec's (${JSON.stringify(s.command ?? null)})\n`);
          s.command = command.length === 1 ? command[0] : command;
        }
        applyRunFlags(s, o);
      });
      if (!o.file && spec.workdir === undefined && spec.files === undefined && spec.runtime !== 'docker') spec.workdir = baseDir;
      await uploadBuildContext(spec, baseDir, api);
      await afterSubmit(api, await api.submitAny(spec), o);
    });

  program
    .command('logs')
    .description("Print a run's logs")
    .argument('<id>', 'run id (or a unique start of one)')
    .option('-f, --follow', 'keep streaming until the run ends')
    .option('-n, --tail <lines>', 'only the last N lines (then follow, with --follow)', (v) => Number(v))
    .option('--attempt <n>', 'attempt number (default: latest)', (v) => Number(v))
    .option('--service <name>', "a service's log instead of the main task's")
    .option('--rank <n>', 'a run over several nodes: only this rank\'s lines (each line starts with its rank, `0: `)', (v) => Number(v))
    .action(async (typed: string, o: { follow?: boolean; tail?: number; attempt?: number; service?: string; rank?: number }) => {
      const api = clientFrom(globals());
      const id = await resolveRunId(api, typed);
      const which = { ...(o.attempt ? { attempt: o.attempt } : {}), ...(o.service ? { service: o.service } : {}) };
      if (o.rank !== undefined && !(Number.isInteger(o.rank) && o.rank >= 0)) throw new RegattaError('invalid_request', `--rank '${o.rank}' must be a rank: 0, 1, ...`);
      const view = (text: string) => (o.rank === undefined ? text : rankLines(text, o.rank));
      let offset = 0;
      if (o.tail !== undefined) {
        if (!Number.isInteger(o.tail) || o.tail < 0) throw new RegattaError('invalid_request', `--tail '${o.tail}' must be a whole number of lines`);
        const bytes = new Uint8Array(await new Response(await api.logs(id, which)).arrayBuffer());
        const text = Buffer.from(bytes).toString('utf8');
        // When following, a line still being written comes with the stream, whole.
        const shown = o.follow ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
        offset = Buffer.byteLength(shown);
        process.stdout.write(lastLines(view(shown), o.tail));
        if (!o.follow) return;
      }
      if (o.follow) detachOnInterrupt(`run ${id} keeps running (regatta cancel ${id})`);
      const raw = await api.logs(id, { ...(o.follow ? { follow: true } : {}), ...which, ...(offset ? { offset } : {}) });
      const stream = o.rank === undefined ? raw : raw.pipeThrough(rankFilter(o.rank));
      await stream.pipeTo(Writable.toWeb(process.stdout) as WritableStream<Uint8Array>, { preventClose: true });
    });

  program
    .command('cancel')
    .description('Cancel runs by id, or every active run matching --label/--name/--status/--queue (as scancel -n/--state)')
    .argument('[ids...]', 'run ids (or unique starts of them)')
    .option('--label <key=value>', 'runs with this label (repeatable: all must match)', collect, [])
    .option('--name <name>', 'runs with this name')
    .option('--status <s>', 'runs in these statuses (comma-separated; default: every active status)')
    .option('--queue <q>', 'runs in this queue')
    .option('--mine', 'only runs you submitted (with the filters above)')
    .option('--wait', 'wait until each run has ended')
    .action(async (typed: string[], o: { label: string[]; name?: string; status?: string; queue?: string; mine?: boolean; wait?: boolean }) => {
      const api = clientFrom(globals());
      const filtered = o.label.length > 0 || o.name !== undefined || o.status !== undefined || o.queue !== undefined || o.mine === true;
      if (!typed.length && !filtered) throw new RegattaError('invalid_request', 'give run ids, or --label/--name/--status/--queue/--mine to choose runs');
      const ids = await resolveRunIds(api, typed);
      if (filtered) ids.push(...(await matchingRuns(api, o)));
      if (!ids.length) {
        process.stderr.write('regatta: no active run matches\n');
        return;
      }
      for (let i = 0; i < ids.length; i += 1000) {
        const { items } = await api.cancelRuns(ids.slice(i, i + 1000));
        for (const r of items) {
          if (!r.ok) {
            process.stdout.write(`${r.id} not canceled: ${r.message}\n`);
            process.exitCode = 1;
            continue;
          }
          const run = o.wait ? await api.waitForRun(r.id, { intervalMs: 100 }) : { status: r.status };
          process.stdout.write(`${r.id} ${TERMINAL.has(run.status) ? run.status : `${run.status} (canceling)`}\n`);
        }
      }
    });
}

const ACTIVE = 'queued,starting,building,running,cleanup';

/** Every run matching the filters (active ones unless --status says otherwise), through all pages. */
async function matchingRuns(api: RegattaClient, o: { label: string[]; name?: string; status?: string; queue?: string; mine?: boolean }): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.listRuns({
      status: o.status ?? ACTIVE, ...(o.name ? { name: o.name } : {}), ...(o.queue ? { queue: o.queue } : {}),
      ...(o.label.length ? { label: o.label } : {}), limit: 1000, ...(cursor ? { cursor } : {}), ...(o.mine ? { mine: true } : {}),
    });
    ids.push(...page.items.map((r) => r.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}


function finishCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('finish')
    .description('Force an active run to finish as succeeded, through cleanup (again during cleanup: stop what is left now)')
    .argument('<id>', 'run id (or a unique start of one)')
    .option('--result <file>', "set the run's result from a JSON file (- for stdin)")
    .option('--wait', 'wait until the run has ended')
    .action(async (typed: string, o: { result?: string; wait?: boolean }) => {
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
      const id = await resolveRunId(api, typed);
      await api.finish(id, result);
      const run = o.wait ? await api.waitForRun(id, { intervalMs: 100 }) : await api.getRun(id);
      process.stdout.write(`${id} ${TERMINAL.has(run.status) ? run.status : `${run.status} (finishing)`}\n`);
    });
}
