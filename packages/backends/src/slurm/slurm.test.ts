import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import type { LaunchRequest } from '@regatta/runtimes';
import { arrayScript, jobFiles, sbatchScript, shellQuote, slurmDirectives, slurmTime, taskScript } from './sbatch-script.js';
import { mapSlurmState, parseSacct, parseSqueue } from './slurm-state.js';

function req(input: Record<string, unknown>): LaunchRequest {
  const { resolved } = compileSpec(input);
  return {
    runId: '01m7zvdh0g30nskqbxb2', attempt: 1, spec: resolved, env: { REGATTA_RUN_ID: '01m7zvdh0g30nskqbxb2' },
    paths: { dir: '/shared/runs/r/1', outputs: '/shared/runs/r/1/outputs', log: '/shared/runs/r/1/log' }, node: 'slurm', gpus: [],
  };
}

const files = jobFiles('/shared', '01m7zvdh0g30nskqbxb2', 1);

describe('sbatch scripts', () => {
  it('maps resources, time and defaults onto directives', () => {
    const r = req({ name: 'train', command: 'true', resources: { cpus: 2.5, memory: '4Gi', gpus: 2 }, timeout: '90m' });
    expect(slurmDirectives(r, { partition: 'gpu', account: 'lab', qos: 'normal' })).toEqual([
      '--job-name=regatta-train', '--nodes=1', '--ntasks=1', '--cpus-per-task=3', '--mem=4096M', '--gres=gpu:2', '--time=01:30:00',
      '--partition=gpu', '--account=lab', '--qos=normal',
    ]);
    expect(slurmDirectives(req({ command: 'true' }))).toEqual(['--job-name=regatta-true', '--nodes=1', '--ntasks=1', '--cpus-per-task=1']);
  });

  it('writes a single job whose output is the attempt log on the shared directory', () => {
    const s = sbatchScript(req({ name: 'train', command: 'true' }), files, { partition: 'debug' });
    expect(s.split('\n')).toEqual([
      '#!/bin/sh', '#SBATCH --job-name=regatta-train', '#SBATCH --nodes=1', '#SBATCH --ntasks=1', '#SBATCH --cpus-per-task=1', '#SBATCH --partition=debug',
      '#SBATCH --output=/shared/runs/01m7zvdh0g30nskqbxb2/1/log', '#SBATCH --error=/shared/runs/01m7zvdh0g30nskqbxb2/1/log', '#SBATCH --open-mode=append',
      "exec /bin/sh '/shared/runs/01m7zvdh0g30nskqbxb2/1/task.sh'", '',
    ]);
  });

  it('runs the command in a task script that quotes what the shell reads and records the exit status', () => {
    const s = taskScript(req({ command: "echo 'it''s' $HOME", env: { A: "x'y" } }), files);
    expect(s).toContain(`export A='x'\\''y'`);
    expect(s).toContain(`export REGATTA_OUTPUTS='/shared/runs/01m7zvdh0g30nskqbxb2/1/outputs'`);
    expect(s).toContain(`/bin/sh -c 'echo '\\''it'\\'''\\''s'\\'' $HOME'`);
    expect(s).toContain("cd '/shared/runs/01m7zvdh0g30nskqbxb2/1/work' || exit 127");
    expect(s).toContain('export RANK=${SLURM_PROCID:-0}');
    expect(s).toContain('export WORLD_SIZE=1 REGATTA_WORLD_SIZE=1');
    expect(s.trimEnd().split('\n').slice(-3)).toEqual([
      'code=$?',
      `echo "$code" > '/shared/runs/01m7zvdh0g30nskqbxb2/1/exit.tmp' && mv '/shared/runs/01m7zvdh0g30nskqbxb2/1/exit.tmp' '/shared/runs/01m7zvdh0g30nskqbxb2/1/exit'`,
      'exit "$code"',
    ]);
    expect(taskScript(req({ command: ['python', 'train.py', '--lr=0.1'], workdir: '/data/code' }), files)).toContain("cd '/data/code' || exit 127\n");
  });

  it('starts one task per node with srun for a run over several nodes', () => {
    const r = req({ command: ['torchrun', 'train.py'], resources: { nodes: 4, gpus: 8 } });
    expect(slurmDirectives(r)).toEqual(['--job-name=regatta-train', '--nodes=4', '--ntasks-per-node=1', '--cpus-per-task=1', '--gres=gpu:8']);
    const s = taskScript(r, files);
    expect(s).toContain('MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null | head -n 1)');
    expect(s).toContain('export WORLD_SIZE=4 REGATTA_WORLD_SIZE=4');
    expect(s).toContain(`srun --label --kill-on-bad-exit=1 --ntasks=4 --ntasks-per-node=1 /bin/sh -c 'export RANK=\${SLURM_PROCID:-0} LOCAL_RANK=\${SLURM_LOCALID:-0} REGATTA_RANK=\${SLURM_PROCID:-0}\nexec '\\''torchrun'\\'' '\\''train.py'\\'''`);
  });

  it('runs a container on the allocated node and removes it when Slurm signals the job', () => {
    const s = taskScript(req({ runtime: 'docker', image: 'pytorch:2', command: ['python', 'x.py'], env: { A: '1' } }), files, { host: 'unix:///d.sock', network: 'host' });
    expect(s).toContain("export DOCKER_HOST='unix:///d.sock'");
    expect(s).toContain("trap 'docker rm -f regatta-01m7zvdh0g30nskqbxb2-1 >/dev/null 2>&1; exit 143' TERM INT");
    expect(s).toContain("'--network' 'host' '-e' 'A' '-e' 'REGATTA_RUN_ID' '-e' 'REGATTA_OUTPUTS=/regatta/outputs' '-v' '/shared/runs/01m7zvdh0g30nskqbxb2/1/outputs:/regatta/outputs' 'pytorch:2' 'python' 'x.py' &");
    expect(s).toContain('wait $!');
  });

  it('writes one array over a group\'s items, with %max_parallel, each task running its item', () => {
    const s = arrayScript(['--job-name=regatta-sweep', '--ntasks=1'], ['/shared/runs/a/1/task.sh', '/shared/runs/b/1/task.sh'], '/shared', 4);
    expect(s.split('\n')).toEqual([
      '#!/bin/sh', '#SBATCH --job-name=regatta-sweep', '#SBATCH --ntasks=1', '#SBATCH --array=0-1%4', '#SBATCH --output=/shared/arrays/%A_%a.log',
      '#SBATCH --open-mode=append', 'case "$SLURM_ARRAY_TASK_ID" in', "  0) exec /bin/sh '/shared/runs/a/1/task.sh' ;;", "  1) exec /bin/sh '/shared/runs/b/1/task.sh' ;;",
      'esac', 'echo "no task for array index $SLURM_ARRAY_TASK_ID" >&2', 'exit 2', '',
    ]);
    expect(arrayScript([], ['/t.sh'], '/shared')).toContain('#SBATCH --array=0-0\n');
  });

  it('formats times and quotes', () => {
    expect(slurmTime(30_000)).toBe('00:01:00');
    expect(slurmTime(26 * 3_600_000)).toBe('1-02:00:00');
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('Slurm states', () => {
  it('maps each state, with the reasons people need', () => {
    expect(mapSlurmState({ jobId: '1', state: 'PENDING', reason: 'Resources' })).toEqual({ status: 'queued', reason: 'pending in Slurm: Resources' });
    expect(mapSlurmState({ jobId: '1', state: 'RUNNING' })?.status).toBe('running');
    expect(mapSlurmState({ jobId: '1', state: 'COMPLETED' })?.status).toBe('succeeded');
    expect(mapSlurmState({ jobId: '1', state: 'FAILED', exitCode: 3 })).toEqual({ status: 'failed', reason: 'exit code 3' });
    expect(mapSlurmState({ jobId: '1', state: 'OUT_OF_MEMORY' })).toEqual({ status: 'failed', reason: 'oom' });
    expect(mapSlurmState({ jobId: '1', state: 'TIMEOUT' })?.status).toBe('timed_out');
    expect(mapSlurmState({ jobId: '1', state: 'CANCELLED' })?.status).toBe('canceled');
    expect(mapSlurmState({ jobId: '1', state: 'NODE_FAIL', nodes: 'n3' })).toEqual({ status: 'lost', reason: 'Slurm node fail on n3' });
    expect(mapSlurmState({ jobId: '1', state: 'SPECIAL_EXIT' })).toBeUndefined();
  });

  it('parses squeue and sacct output', () => {
    expect(parseSqueue('12|PENDING|Resources|\n13|RUNNING|None|node1\n')).toEqual([
      { jobId: '12', state: 'PENDING', reason: 'Resources' }, { jobId: '13', state: 'RUNNING', reason: 'None', nodes: 'node1' },
    ]);
    expect(parseSacct('12|CANCELLED by 0|0:15|node1\n14_3|COMPLETED|0:0|node1\n15|FAILED|2:0|None assigned\n')).toEqual([
      { jobId: '12', state: 'CANCELLED', exitCode: 0, nodes: 'node1' }, { jobId: '14_3', state: 'COMPLETED', exitCode: 0, nodes: 'node1' },
      { jobId: '15', state: 'FAILED', exitCode: 2 },
    ]);
  });
});
