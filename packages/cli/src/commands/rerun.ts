/** `regatta rerun ID`: submit a run's spec again, as a new run, with the same overrides `run` takes. */
import type { Command } from 'commander';
import { clientFrom, type GlobalOptions } from '../context.js';
import { resolveRunId } from '../ids.js';
import { addRunFlags, applyRunFlags, type RunFlags } from '../run-options.js';
import { applySet } from '../spec-file.js';
import { addSubmitOptions, afterSubmit } from './run.js';

export function rerunCommand(program: Command, globals: () => GlobalOptions): void {
  addSubmitOptions(addRunFlags(program
    .command('rerun')
    .description("Submit a run's spec again as a new run (its own id), optionally with overrides")
    .argument('<id>', 'run id (or a unique start of one)')))
    .action(async (typed: string, o: RunFlags & { set: string[]; follow?: boolean; wait?: boolean; detach?: boolean; require: string[] }) => {
      const api = clientFrom(globals());
      const id = await resolveRunId(api, typed);
      const run = await api.getRun(id);
      // The spec as submitted (a template's already merged in, uploads by reference), so the same files run again.
      const spec = structuredClone(run.spec);
      applyRunFlags(spec, o);
      for (const s of o.set) applySet(spec, s);
      process.stderr.write(`regatta: rerunning ${id} (${run.name})\n`);
      await afterSubmit(api, await api.submitAny(spec), o);
    });
}
