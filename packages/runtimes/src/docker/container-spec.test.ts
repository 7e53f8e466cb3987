import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import type { LaunchRequest } from '../runtime.js';
import { containerCreateBody } from './container-spec.js';

function req(input: Record<string, unknown>, gpus: number[] = []): LaunchRequest {
  const { resolved } = compileSpec({ runtime: 'docker', image: 'img:1', ...input });
  return {
    runId: '01m7zvdh0g30nskqbxb2', attempt: 2, spec: resolved, env: { REGATTA_RUN_ID: '01m7zvdh0g30nskqbxb2', REGATTA_OUTPUTS: '/host/out' },
    paths: { dir: '/d', outputs: '/host/out', log: '/d/log' }, node: 'n', gpus,
  };
}

describe('containerCreateBody', () => {
  it('runs a string command through sh and maps resources', () => {
    const b = containerCreateBody(req({ command: 'echo $X', env: { X: '1' }, resources: { cpus: 1.5, memory: '256Mi', shm_size: '1Gi' } }), { outputsHostPath: '/host/out' });
    expect(b).toMatchObject({
      name: 'regatta-01m7zvdh0g30nskqbxb2-2',
      Image: 'img:1',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo $X'],
      Labels: { 'dev.regatta.run': '01m7zvdh0g30nskqbxb2', 'dev.regatta.attempt': '2' },
      HostConfig: { Binds: ['/host/out:/regatta/outputs'], NanoCpus: 1.5e9, Memory: 256 * 1024 ** 2, MemorySwap: 256 * 1024 ** 2, ShmSize: 1024 ** 3 },
    });
    expect(b.Env).toEqual(expect.arrayContaining(['X=1', 'REGATTA_RUN_ID=01m7zvdh0g30nskqbxb2', 'REGATTA_OUTPUTS=/regatta/outputs']));
    expect(b.HostConfig.DeviceRequests).toBeUndefined();
  });

  it('runs an argv command directly and requests exactly the assigned GPUs', () => {
    const b = containerCreateBody(req({ command: ['python', 'train.py'], workdir: '/app', resources: { gpus: 2 } }, [1, 3]), { outputsHostPath: '/o' });
    expect(b.Entrypoint).toEqual(['python']);
    expect(b.Cmd).toEqual(['train.py']);
    expect(b.WorkingDir).toBe('/app');
    expect(b.HostConfig.DeviceRequests).toEqual([{ Driver: 'nvidia', DeviceIDs: ['1', '3'], Capabilities: [['gpu']] }]);
    expect(b.HostConfig.Memory).toBeUndefined();
  });

  it('binds the outputs directory and the mounts, read-only unless asked', () => {
    const b = containerCreateBody(req({ command: 'x', mounts: [{ source: '/data/ais/', target: '/data' }, { source: '/scratch', target: '/s', readonly: false }] }), { outputsHostPath: '/o' });
    expect(b.HostConfig.Binds).toEqual(['/o:/regatta/outputs', '/data/ais:/data:ro', '/scratch:/s:rw']);
  });

  it('mounts named datasets read-only where the spec asks (default /datasets/<name>)', () => {
    const r = req({ command: 'x', datasets: ['ais', { name: 'maps', target: '/maps' }] });
    r.spec.datasets = r.spec.datasets.map((d) => ({ ...d, source: `/srv/${d.name}` }));
    expect(containerCreateBody(r, { outputsHostPath: '/o' }).HostConfig.Binds).toEqual(['/o:/regatta/outputs', '/srv/ais:/datasets/ais:ro', '/srv/maps:/maps:ro']);
  });

  it('gives an engine on another machine an outputs volume instead of a bind mount', () => {
    const b = containerCreateBody(req({ command: 'x' }), {});
    expect(b.Volumes).toEqual({ '/regatta/outputs': {} });
    expect(b.HostConfig.Binds).toEqual([]);
    expect(containerCreateBody(req({ command: 'x' }), { outputsHostPath: '/o' }).Volumes).toBeUndefined();
  });
});
