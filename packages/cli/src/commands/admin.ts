import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { clientFrom, type GlobalOptions } from '../context.js';
import { formatBytes, formatCpus, printJson, table } from '../format.js';

export function adminCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('schema')
    .description('Print the JSON Schema of job specs (for editors: regatta schema > regatta.schema.json)')
    .action(async () => {
      const { jobSpecJsonSchema } = await import('@regatta/core');
      process.stdout.write(JSON.stringify(jobSpecJsonSchema(), null, 2) + '\n');
    });

  const queues = program.command('queues').description('List queues, or set a queue\'s concurrency');
  queues.command('ls', { isDefault: true }).description('List queues').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).queues();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((q) => [
      q.name, q.concurrency === null ? 'unlimited' : String(q.concurrency), String(q.queued), String(q.active), q.backend ?? 'nodes',
    ]), ['QUEUE', 'CONCURRENCY', 'QUEUED', 'ACTIVE', 'BACKEND']) + '\n');
  });
  queues
    .command('set')
    .description('Create a queue or change its concurrency limit')
    .argument('<name>')
    .requiredOption('--concurrency <n>', "most active runs at once ('unlimited' to remove the limit)")
    .action(async (name: string, o: { concurrency: string }) => {
      const limit = o.concurrency === 'unlimited' ? null : Number(o.concurrency);
      const q = await clientFrom(globals()).setQueue(name, limit);
      process.stdout.write(`${q.name}: concurrency ${q.concurrency ?? 'unlimited'}\n`);
    });

  const nodes = program.command('nodes').description('Nodes with their capacity and usage; add or remove Docker engines');
  nodes.command('ls', { isDefault: true }).description('List nodes').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).nodes();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((n) => [
      n.name, n.backend, n.ready ? 'ready' : 'down', `${formatCpus(n.used.cpus)}/${formatCpus(n.capacity.cpus)}`,
      `${formatBytes(n.used.memory)}/${formatBytes(n.capacity.memory)}`, `${n.used.gpus.length}/${n.capacity.gpus}`, String(n.runs.length),
      n.lastError ? `${new Date(n.lastError.at).toISOString().slice(11, 19)} ${n.lastError.message}` : '',
    ]), ['NODE', 'BACKEND', 'STATE', 'CPUS', 'MEMORY', 'GPUS', 'RUNS', 'LAST ERROR']) + '\n');
  });
  nodes
    .command('add')
    .description('Register a Docker engine (unix://, tcp:// with --tls-dir, or ssh://) as a node')
    .argument('<name>')
    .requiredOption('--docker <url>', 'engine URL')
    .option('--tls-dir <dir>', 'tcp://: directory with ca.pem, cert.pem, key.pem (on the server)')
    .option('--ssh-dir <dir>', 'ssh://: directory with the private key and known_hosts (on the server; default ~/.ssh)')
    .option('--gpus <n>', 'GPUs of that machine', (v) => Number(v))
    .action(async (name: string, o: { docker: string; tlsDir?: string; sshDir?: string; gpus?: number }) => {
      // One credentials directory per node: the API's tlsDir serves both schemes.
      const dir = o.tlsDir ?? o.sshDir;
      const n = await clientFrom(globals()).addNode({ name, docker: o.docker, ...(dir ? { tlsDir: dir } : {}), ...(o.gpus !== undefined ? { gpus: o.gpus } : {}) });
      process.stdout.write(`${n.name}: ${n.capacity.cpus} CPUs, ${formatBytes(n.capacity.memory)}, ${n.capacity.gpus} GPUs\n`);
    });
  nodes.command('rm').description('Remove a registered node').argument('<name>').action(async (name: string) => {
    await clientFrom(globals()).removeNode(name);
    process.stdout.write(`${name} removed\n`);
  });

  const datasets = program.command('datasets').description('Named datasets runs mount read-only by name');
  datasets.command('ls', { isDefault: true }).description('List datasets').option('--json', 'print JSON').action(async (o: { json?: boolean }) => {
    const page = await clientFrom(globals()).datasets();
    if (printJson(page, o)) return;
    process.stdout.write(table(page.items.map((d) => [d.name, d.path]), ['DATASET', 'PATH']) + '\n');
  });
  datasets
    .command('add')
    .argument('<name>')
    .requiredOption('--path <dir>', 'a directory on the server')
    .description('Register a dataset')
    .action(async (name: string, o: { path: string }) => {
      const d = await clientFrom(globals()).putDataset(name, { path: resolve(o.path) });
      process.stdout.write(`${d.name}: ${d.path}\n`);
    });
  datasets.command('rm').argument('<name>').description('Forget a dataset (its files stay)').action(async (name: string) => {
    await clientFrom(globals()).removeDataset(name);
    process.stdout.write(`${name} removed\n`);
  });

  // Inside a job: report with the run's own token (REGATTA_RUN_ID / REGATTA_RUN_TOKEN).
  const inJob = () => {
    const id = process.env.REGATTA_RUN_ID;
    const token = process.env.REGATTA_RUN_TOKEN;
    if (!id || !token) throw new Error('this command runs inside a Regatta job (REGATTA_RUN_ID and REGATTA_RUN_TOKEN are not set)');
    return { id, api: clientFrom({ url: globals().url ?? process.env.REGATTA_API_URL, token }) };
  };
  program
    .command('metric')
    .description('From inside a job: report a metric')
    .argument('<name>')
    .argument('<value>')
    .option('--step <n>', 'step', (v) => Number(v))
    .action(async (name: string, value: string, o: { step?: number }) => {
      const v = Number(value);
      if (!Number.isFinite(v)) throw new Error(`metric value '${value}' is not a number`);
      const { id, api } = inJob();
      await api.postMetrics(id, [{ name, value: v, ...(o.step !== undefined ? { step: o.step } : {}) }]);
    });
  program
    .command('result')
    .description('From inside a job: set the result JSON (a file, or - for stdin)')
    .argument('<file>')
    .action(async (file: string) => {
      const text = readFileSync(file === '-' ? 0 : file, 'utf8');
      const { id, api } = inJob();
      await api.setResult(id, JSON.parse(text) as unknown);
    });
}
