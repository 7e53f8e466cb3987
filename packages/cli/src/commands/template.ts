import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { create as createTar } from 'tar';
import { RegattaError } from '@regatta/core/basics';
import type { RegattaClient } from '@regatta/sdk';
import { clientFrom, type GlobalOptions } from '../context.js';
import { printJson, table } from '../format.js';
import { addSubmitOptions, afterSubmit } from './run.js';
import { addRunFlags, applyRunFlags, type RunFlags } from '../run-options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

/** Packs a directory (or a list of files, each at the top) as tar.gz and uploads it. */
async function uploadFiles(api: RegattaClient, files: readonly string[], dir: string | undefined): Promise<string | undefined> {
  if (files.length && dir) throw new RegattaError('invalid_request', 'give --file (repeatable) or --dir, not both');
  let root = dir ? resolve(dir) : undefined;
  let scratch: string | undefined;
  if (files.length) {
    scratch = await mkdtemp(join(tmpdir(), 'regatta-push-'));
    for (const f of files) await cp(resolve(f), join(scratch, basename(f)), { recursive: true });
    root = scratch;
  }
  if (!root) return undefined;
  try {
    const chunks: Buffer[] = [];
    for await (const c of createTar({ cwd: root, gzip: true, portable: true }, ['.'])) chunks.push(c as Buffer);
    return (await api.upload(Buffer.concat(chunks))).ref;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

export function templateCommands(program: Command, globals: () => GlobalOptions): void {
  const template = program.command('template').description('Named, versioned job specs with files attached');
  template
    .command('push')
    .argument('<name>')
    .requiredOption('-f, --file-spec <spec>', 'the job spec (YAML or JSON); build.context: . means the attached files')
    .option('--file <path>', 'a file to attach, e.g. a Dockerfile or a script (repeatable)', collect, [])
    .option('--dir <dir>', 'attach a whole directory')
    .description('Push a new version of a template')
    .action(async (name: string, o: { fileSpec: string; file: string[]; dir?: string }) => {
      const api = clientFrom(globals());
      const { loadSpec } = await import('../spec-file.js');
      const { spec } = loadSpec(o.fileSpec, [], []);
      const files = await uploadFiles(api, o.file, o.dir);
      const t = await api.pushTemplate(name, { spec, ...(files ? { files } : {}) });
      process.stdout.write(`${t.name} v${t.version}${t.files ? ` (files ${t.files.slice(7, 19)})` : ''}\n`);
    });
  addSubmitOptions(addRunFlags(template
    .command('run')
    .argument('<name>')
    .option('--at <version>', 'a version (default: the latest)', (v) => Number(v))
    .option('-f, --file <overrides>', 'overrides (YAML or JSON), deep-merged into the template; null deletes')
    .description('Run a template with overrides')))
    .action(async (name: string, o: RunFlags & { at?: number; file?: string; set: string[]; follow?: boolean; wait?: boolean; detach?: boolean; require: string[] }) => {
      const api = clientFrom(globals());
      const { loadSpec } = await import('../spec-file.js');
      const { spec: overrides } = loadSpec(o.file, o.set, [], (s) => applyRunFlags(s, o));
      await afterSubmit(api, await api.runTemplate(name, overrides, o.at), o);
    });
  template.command('ls').description('Templates and their latest version').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).listTemplates();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((t) => [t.name, `v${t.version}`, t.files ? 'yes' : 'no', t.createdAt]), ['TEMPLATE', 'LATEST', 'FILES', 'PUSHED']) + '\n');
  });
  template
    .command('show')
    .argument('<name>')
    .option('--at <version>', 'a version (default: the latest)', (v) => Number(v))
    .description('A template version: its spec and versions')
    .action(async (name: string, o: { at?: number }) => {
      const t = await clientFrom(globals()).getTemplate(name, o.at);
      process.stdout.write(`${JSON.stringify({ name: t.name, version: t.version, files: t.files, spec: t.spec, versions: t.versions.map((v) => v.version) }, null, 2)}\n`);
    });
}
