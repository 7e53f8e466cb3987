/**
 * What a Slurm, dstack or SkyPilot user hits in the first hour with `regatta`, through the real
 * binary against a real server: stray words, inline runs, the usual flags, short ids, Ctrl-C, and
 * the listings and helpers scripts use.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, TOKEN, runCli, startTestServer, tempDir, waitFor, waitForStatus, type TestServer } from '../helpers.js';

let t: TestServer;
let dir: string;
const cli = (args: string[], opts: Parameters<typeof runCli>[1] = {}) => runCli(args, { url: t.url, ...opts });
const idOf = (text: string) => /[0-9a-z]{20}/.exec(text)?.[0] ?? '';

beforeAll(async () => {
  t = await startTestServer({ node: { cpus: 2, gpus: 1 }, queues: { gpu: { concurrency: 4 } } });
  dir = tempDir('regatta-cli-traps-');
  writeFileSync(join(dir, 'job.yaml'), 'name: train\ncommand: echo from-spec\n');
});
afterAll(async () => {
  await t.close();
});

describe('run: what replaces a spec command, and where inline commands run', () => {
  it('refuses stray words after -f (a quoting slip), and says what `--` replaced', async () => {
    const slip = await cli(['run', '-f', join(dir, 'job.yaml'), '--set', 'timeout=5', 'minutes', '--wait']);
    expect(slip.code).toBe(2);
    expect(slip.stderr).toMatch(/unexpected word\(s\) 'minutes'.*--set 'timeout=5 minutes'.*-- minutes/);
    expect((await t.api.listRuns({ name: 'minutes' })).items).toHaveLength(0); // nothing was submitted

    const replaced = await cli(['run', '-f', join(dir, 'job.yaml'), '--follow', '--', 'echo', 'replaced']);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toBe('replaced\n');
    expect(replaced.stderr).toContain(`the command after -- replaces the spec's ("echo from-spec")`);
  });

  it('runs an inline command in the current directory, as srun does, and says so in --help', async () => {
    const work = join(dir, 'project');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'train.py'), 'import os\nprint("cwd", os.getcwd())\n');
    const r = await cli(['run', '--follow', '--', 'python3', 'train.py'], { cwd: work });
    expect(r.stderr).not.toMatch(/can't open file/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`cwd ${work}\n`);
    const run = await t.api.getRun(idOf(r.stderr));
    expect(run.name).toBe('train'); // named after the script, not `python3`
    expect((await cli(['run', '--help'])).stdout).toMatch(/runs in the current directory \(as srun does\)/);
  });
});

describe('run flags', () => {
  it('maps --name --cpus --memory --gpus --env --queue --label --priority --timeout --workdir onto the spec; --set wins', async () => {
    const wd = join(dir, 'wd');
    mkdirSync(wd, { recursive: true });
    const r = await cli([
      'run', '--name', 'flagged', '--cpus', '0.5', '--memory', '64Mi', '--gpus', '0', '--env', 'A=1', '--env', 'B=two words',
      '--queue', 'gpu', '--label', 'team=vision', '--priority', '5', '--timeout', '1m', '--workdir', wd, '--set', 'env.A=3',
      '--wait', '--', 'sh', '-c', 'echo "$A|$B|$(pwd)"',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = await t.api.getRun(idOf(r.stderr));
    expect(run).toMatchObject({ name: 'flagged', queue: 'gpu', priority: 5, labels: { team: 'vision' } });
    expect(run.resolved).toMatchObject({ timeoutMs: 60_000, resources: { cpus: 0.5, memory: 64 * 1024 ** 2, gpus: 0 } });
    expect(await new Response(await t.api.logs(run.id)).text()).toBe(`3|two words|${wd}\n`);
  });

  it('takes the same flags on template run', async () => {
    writeFileSync(join(dir, 'tpl.yaml'), 'command: echo "$GREETING"\n');
    expect((await cli(['template', 'push', 'greeter', '-f', join(dir, 'tpl.yaml')])).code).toBe(0);
    const r = await cli(['template', 'run', 'greeter', '--name', 'hello-tpl', '--env', 'GREETING=hi', '--label', 'k=v', '--follow']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(await t.api.getRun(idOf(r.stderr))).toMatchObject({ name: 'hello-tpl', labels: { k: 'v' } });
  });

  it('refuses a reserved REGATTA_* variable naming the field, and a malformed flag', async () => {
    const reserved = await cli(['run', '--env', 'REGATTA_API_URL=http://x', '--', 'true']);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/env\.REGATTA_API_URL: REGATTA_\* names are set by Regatta/);
    const bad = await cli(['run', '--gpus', 'two', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gpus 'two' is not a number/);
  });
});

describe('short ids', () => {
  it('accepts a unique prefix (and a trailing ...) everywhere, and says when one is ambiguous or unknown', async () => {
    const r = await cli(['run', '--wait', '--', 'sh', '-c', 'echo short-id']);
    const id = idOf(r.stderr);
    const short = id.slice(0, 14);
    expect((await cli(['show', short])).stdout).toContain(`Run:       ${id}`);
    expect((await cli(['show', `${short}...`])).stdout).toContain(`Run:       ${id}`);
    expect((await cli(['logs', short])).stdout).toBe('short-id\n');
    expect((await cli(['metrics', short])).code).toBe(0);
    const ambiguous = await cli(['show', id.slice(0, 2)]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/is ambiguous/);
    const unknown = await cli(['show', 'zzzzzz']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run id starts with 'zzzzzz'/);
    expect((await cli(['show', 'not-an-id!'])).stderr).toMatch(/is not a run id or the start of one/);
  });
});

describe('Ctrl-C on run --follow', () => {
  it('detaches, says how to cancel, exits 130, and the run keeps running', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--follow', '--', 'sleep', '60'], {
      env: { ...process.env, REGATTA_URL: t.url, REGATTA_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const id = await waitFor('the run to be submitted', () => Promise.resolve(idOf(stderr) || undefined));
    await waitForStatus(t.api, id, 'running');
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    child.kill('SIGINT');
    // Killed by the signal (code null) would mean the handler went in after the line saying it had.
    expect(await exited).toEqual({ code: 130, signal: null });
    expect(stderr).toContain(`detached: run ${id} keeps running (regatta cancel ${id})`);
    expect((await t.api.getRun(id)).status).toBe('running');
    await t.api.cancel(id);
  });
});

describe('listings and helpers for scripts', () => {
  it('cancels by --label, --name and --status, leaving the rest', async () => {
    const a = idOf((await cli(['run', '--detach', '--label', 'sweep=s1', '--name', 'keep', '--', 'sleep', '60'])).stdout);
    const b = idOf((await cli(['run', '--detach', '--label', 'sweep=s2', '--name', 'other', '--', 'sleep', '60'])).stdout);
    await waitForStatus(t.api, a, 'running');
    const byLabel = await cli(['cancel', '--label', 'sweep=s1']);
    expect(byLabel.stdout).toMatch(new RegExp(`^${a} `));
    expect(byLabel.stdout).not.toContain(b);
    await t.api.waitForRun(a, { intervalMs: 100 });
    expect((await t.api.getRun(b)).status).not.toBe('canceled');
    expect((await cli(['cancel', '--name', 'other', '--status', 'queued,running', '--wait'])).stdout).toBe(`${b} canceled\n`);
    expect((await cli(['cancel', '--name', 'nobody'])).stderr).toMatch(/no active run matches/);
    expect((await cli(['cancel'])).code).toBe(2);
  });

  it('reruns a run with overrides, lists with --since/--json, shows metric series with attempts', async () => {
    const first = await cli(['run', '--wait', '--name', 'series', '--', 'sh', '-c',
      'for i in 1 2 3; do echo "{\\"name\\":\\"loss\\",\\"value\\":0.$i,\\"step\\":$i}" >> "$REGATTA_OUTPUTS/metrics.jsonl"; done; echo "$X"']);
    const id = idOf(first.stderr);
    const again = await cli(['rerun', id.slice(0, 16), '--env', 'X=again', '--follow']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('again\n');
    const rerunId = idOf(again.stderr.split('\n').find((l) => l.includes('submitted')) ?? '');
    expect(rerunId).not.toBe(id);

    const series = await cli(['metrics', id, '--name', 'loss']);
    expect(series.stdout.split('\n')[0]).toMatch(/^NAME\s+STEP\s+VALUE\s+ATTEMPT\s+TIME/);
    expect(series.stdout).toMatch(/loss\s+3\s+0\.3\s+1\s/);
    expect((await cli(['metrics', id, '--csv'])).stdout.split('\n')[1]).toMatch(/^loss,1,0\.1,1,/);

    const since = JSON.parse((await cli(['ls', '--since', '10m', '--name', 'series', '--json'])).stdout) as { items: { id: string }[] };
    expect(since.items.map((r) => r.id)).toEqual([rerunId, id]);
    const future = JSON.parse((await cli(['ls', '--since', '2999-01-01', '--json'])).stdout) as { items: unknown[] };
    expect(future.items).toEqual([]);
    expect((await cli(['ls', '--since', 'yesterdayish'])).code).toBe(2);
  });

  it('ls --watch redraws until interrupted', async () => {
    const child = spawn(process.execPath, [CLI, 'ls', '--watch', '0.2', '--limit', '1'], {
      env: { ...process.env, REGATTA_URL: t.url, REGATTA_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    await waitFor('two listings', () => Promise.resolve((out.match(/^ID\s+NAME/gm) ?? []).length >= 2));
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
  });

  it('logs --tail prints the last lines, also before following', async () => {
    const r = await cli(['run', '--wait', '--', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done']);
    const id = idOf(r.stderr);
    expect((await cli(['logs', id, '--tail', '2'])).stdout).toBe('line4\nline5\n');
    expect((await cli(['logs', id, '-n', '1', '--follow'])).stdout).toBe('line5\n');
    expect((await cli(['logs', id, '--tail', '-1'])).code).toBe(2);
  });

  it('prints JSON for every listing, CPUs as people write them, and a queued run says what it waits for', async () => {
    for (const args of [['nodes', '--json'], ['queues', '--json'], ['datasets', '--json'], ['template', 'ls', '--json'], ['group', 'ls', '--json'], ['ls', '--json']]) {
      const out = await cli(args);
      expect(out.code, args.join(' ')).toBe(0);
      expect(JSON.parse(out.stdout), args.join(' ')).toHaveProperty('items');
    }
    const a = idOf((await cli(['run', '--detach', '--cpus', '0.1', '--', 'sleep', '60'])).stdout);
    const b = idOf((await cli(['run', '--detach', '--cpus', '0.2', '--', 'sleep', '60'])).stdout);
    await waitForStatus(t.api, b, 'running');
    expect((await cli(['nodes'])).stdout).toMatch(/\s+local\s+ready\s+0\.3\/2\s/);
    const holder = idOf((await cli(['run', '--detach', '--gpus', '1', '--cpus', '0.1', '--', 'sleep', '60'])).stdout);
    await waitForStatus(t.api, holder, 'running');
    const gpu = idOf((await cli(['run', '--detach', '--gpus', '1', '--cpus', '0.1', '--', 'true'])).stdout);
    const shown = await cli(['show', gpu]);
    expect(shown.stdout).toMatch(/Status:\s+queued\s+first in queue, waiting for 1 GPU \(most free on a node: 0\)/);
    await t.api.cancelRuns([a, b, holder, gpu]);
  });

  it('prints completion scripts for bash, zsh and fish that bash accepts', async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _regatta regatta');
    const script = join(dir, 'regatta.bash');
    writeFileSync(script, bash.stdout);
    const { execFileSync } = await import('node:child_process');
    const words = execFileSync('bash', ['-c', `source ${script}; COMP_WORDS=(regatta template r); COMP_CWORD=2; _regatta; echo "\${COMPREPLY[@]}"`]).toString();
    expect(words.trim()).toBe('run');
    expect((await cli(['completion', 'zsh'])).stdout).toMatch(/^#compdef regatta/);
    expect((await cli(['completion', 'fish'])).stdout).toContain("complete -c regatta -n '__fish_seen_subcommand_from run' -l follow");
    expect((await cli(['completion', 'tcsh'])).code).toBe(2);
  });
});

describe('queues mapped to a backend', () => {
  it('lists a Slurm-mapped queue with its backend in the API and `regatta queues`', async () => {
    // The Slurm commands are never called here: listing queues only reads the configuration.
    const s = await startTestServer({ slurm: { sharedDir: tempDir('regatta-slurm-shared-'), binDir: tempDir('regatta-no-slurm-') }, queues: { hpc: { backend: 'slurm' } } });
    try {
      expect((await s.api.queues()).items).toContainEqual({ name: 'hpc', concurrency: null, queued: 0, active: 0, backend: 'slurm' });
      expect((await runCli(['queues'], { url: s.url })).stdout).toMatch(/^hpc\s+unlimited\s+0\s+0\s+slurm$/m);
    } finally {
      await s.close();
    }
  });
});
