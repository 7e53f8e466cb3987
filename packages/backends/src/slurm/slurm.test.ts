import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import type { LaunchRequest } from '@regatta/runtimes';
import { sbatchScript, shellQuote, slurmTime } from './sbatch-script.js';
import { mapSlurmState, parseSacct, parseSqueue } from './slurm-state.js';

function req(input: Record<string, unknown>): LaunchRequest {
  const { resolved } = compileSpec(input);
  return {
    runId: '01m7zvdh0g30nskqbxb2', attempt: 1, spec: resolved, env: { REGATTA_RUN_ID: '01m7zvdh0g30nskqbxb2' },
    paths: { dir: '/shared/runs/r/1', outputs: '/shared/runs/r/1/outputs', log: '/shared/runs/r/1/log' }, node: 'slurm', gpus: [],
  };
}

describe('sbatchScript', () => {
  it('maps resources, time and defaults onto #SBATCH lines, and quotes what the shell reads', () => {
    const s = sbatchScript(req({ name: 'train', command: "echo 'it''s' $HOME", env: { A: "x'y" }, resources: { cpus: 2.5, memory: '4Gi', gpus: 2 }, timeout: '90m' }), { partition: 'gpu', account: 'lab', qos: 'normal' });
    expect(s.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=regatta-train', '#SBATCH --output=/shared/runs/r/1/log', '#SBATCH --error=/shared/runs/r/1/log', '#SBATCH --open-mode=append',
      '#SBATCH --nodes=1', '#SBATCH --ntasks=1', '#SBATCH --cpus-per-task=3', '#SBATCH --mem=4096M', '#SBATCH --gres=gpu:2', '#SBATCH --time=01:30:00',
      '#SBATCH --partition=gpu', '#SBATCH --account=lab', '#SBATCH --qos=normal',
    ]);
    expect(s).toContain(`export A='x'\\''y'`);
    expect(s).toContain(`exec /bin/sh -c 'echo '\\''it'\\'''\\''s'\\'' $HOME'`);
    expect(s).toContain("mkdir -p '/shared/runs/r/1/outputs'");
  });

  it('runs an argv command directly in its workdir', () => {
    const s = sbatchScript(req({ command: ['python', 'train.py', '--lr=0.1'], workdir: '/data/code' }));
    expect(s).toContain('#SBATCH --chdir=/data/code');
    expect(s).toContain("exec 'python' 'train.py' '--lr=0.1'");
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
