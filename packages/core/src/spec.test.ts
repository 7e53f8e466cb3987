import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { compileSpec, disallowedMounts, jobSpecJsonSchema, parseSpecText } from './spec.js';

function issuesOf(input: unknown) {
  try {
    compileSpec(input);
  } catch (e) {
    if (e instanceof SpecError) return e.issues;
    throw e;
  }
  throw new Error('expected the spec to be refused');
}

describe('compileSpec', () => {
  it('fills defaults and parses units', () => {
    const { resolved } = compileSpec({
      command: 'python train.py', resources: { memory: '4Gi', gpus: 1 }, timeout: '2h', retries: 2,
    });
    expect(resolved).toMatchObject({
      name: 'train', runtime: 'process', queue: 'default', priority: 0, timeoutMs: 7_200_000,
      resources: { cpus: 1, memory: 4 * 1024 ** 3, gpus: 1 },
      retry: { limit: 2, on: ['failed', 'lost', 'timed_out'], delayMs: 0 },
      outputs: [], labels: {},
    });
  });

  it('substitutes params in command and env and exports them as REGATTA_PARAM_*', () => {
    const { resolved } = compileSpec({
      name: 'train', command: ['python', 'train.py', '--lr=${params.lr}'], params: { lr: 0.01, 'batch_size': 32, opts: { a: 1 } },
      env: { MODE: 'lr-${params.lr}', N: 3 },
    });
    expect(resolved.command).toEqual(['python', 'train.py', '--lr=0.01']);
    expect(resolved.env).toMatchObject({ REGATTA_PARAM_LR: '0.01', REGATTA_PARAM_BATCH_SIZE: '32', REGATTA_PARAM_OPTS: '{"a":1}', MODE: 'lr-0.01', N: '3' });
  });

  it('names an unknown field with its path and a hint', () => {
    expect(issuesOf({ command: 'x', resources: { cpu: 2 } })).toEqual([
      { path: 'resources.cpu', message: "unknown field 'cpu' (did you mean 'cpus'?)" },
    ]);
    expect(issuesOf({ comand: 'x' })).toEqual(expect.arrayContaining([
      { path: 'comand', message: "unknown field 'comand' (did you mean 'command'?)" },
      { path: 'command', message: 'is required' },
    ]));
  });

  it('reports wrong types and bad units per field', () => {
    const issues = issuesOf({ command: 'x', priority: 'high', resources: { memory: '4Zi' }, timeout: 'soon', retries: -1 });
    expect(issues.map((i) => i.path).sort()).toEqual(['priority', 'resources.memory', 'retries', 'timeout']);
    expect(issues.find((i) => i.path === 'resources.memory')?.message).toMatch(/4Gi/);
  });

  it('refuses a reference to a missing param, a relative workdir and outputs escaping the workdir', () => {
    expect(issuesOf({ command: 'echo ${params.nope}' })).toEqual([{ path: 'command', message: "refers to ${params.nope} but params has no 'nope'" }]);
    expect(issuesOf({ command: 'x', workdir: 'rel/dir' })[0]?.path).toBe('workdir');
    expect(issuesOf({ command: 'x', outputs: ['../etc/passwd'] })[0]?.path).toBe('outputs[0]');
    expect(issuesOf({ command: 'x', outputs: ['/abs'] })[0]?.path).toBe('outputs[0]');
  });

  it('checks mounts: docker only, absolute paths, and only under allowed host paths', () => {
    expect(issuesOf({ command: 'x', mounts: [{ source: '/d', target: '/d' }] })[0]).toEqual({ path: 'mounts[0]', message: 'only applies to runtime: docker' });
    expect(issuesOf({ command: 'x', runtime: 'docker', image: 'i', mounts: [{ source: 'rel', target: '/d' }] })[0]?.path).toBe('mounts[0].source');
    const { resolved } = compileSpec({ command: 'x', runtime: 'docker', image: 'i', mounts: [{ source: '/data/ais', target: '/d' }, { source: '/database', target: '/e' }] });
    expect(disallowedMounts(resolved, ['/data/'])).toEqual([
      { path: 'mounts[1].source', message: '/database is not under a host path the admin allows (/data/)' },
    ]);
    expect(disallowedMounts(resolved, [])).toHaveLength(2);
  });

  it('checks the mounts of services the same way', () => {
    expect(issuesOf({ command: 'x', services: { s: { command: 'y', mounts: [{ source: '/d', target: '/d' }] } } })).toContainEqual({ path: 'services.s.mounts[0]', message: 'only applies to runtime: docker' });
    expect(issuesOf({ runtime: 'docker', image: 'i', command: 'x', services: { s: { image: 'i', mounts: [{ source: '/d/../etc', target: '/d' }] } } })[0]?.path).toBe('services.s.mounts[0].source');
    const { resolved } = compileSpec({ runtime: 'docker', image: 'i', command: 'x', services: { s: { image: 'i', mounts: [{ source: '/data/x/', target: '/x', readonly: false }, { source: '/etc', target: '/e' }] } } });
    expect(resolved.services[0]?.mounts).toEqual([{ source: '/data/x', target: '/x', readonly: false }, { source: '/etc', target: '/e', readonly: true }]);
    expect(disallowedMounts(resolved, ['/data'])).toEqual([{ path: 'services.s.mounts[1].source', message: '/etc is not under a host path the admin allows (/data)' }]);
  });

  it('refuses non-objects', () => {
    expect(issuesOf(['command'])[0]?.message).toBe('expected an object');
    expect(issuesOf(null)[0]?.message).toBe('expected an object');
  });

  it('accepts the long form of retries', () => {
    const { resolved } = compileSpec({ command: 'x', retries: { limit: 3, on: ['lost'], delay: '5s' } });
    expect(resolved.retry).toEqual({ limit: 3, on: ['lost'], delayMs: 5000 });
  });
});

describe('parseSpecText', () => {
  it('reads YAML and JSON', () => {
    expect(parseSpecText('command: echo hi\nparams: {lr: 0.1}')).toEqual({ command: 'echo hi', params: { lr: 0.1 } });
    expect(parseSpecText('{"command": ["true"]}')).toEqual({ command: ['true'] });
  });
  it('reports malformed YAML with its position', () => {
    expect(() => parseSpecText('command: [oops', 'job.yaml')).toThrow(/job.yaml is not valid YAML or JSON: .*line 1/);
  });
  it('refuses duplicate keys', () => {
    expect(() => parseSpecText('command: a\ncommand: b')).toThrow(SpecError);
  });
});

describe('jobSpecJsonSchema', () => {
  it('describes every top-level field and forbids others', () => {
    const schema = jobSpecJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining([
      'name', 'command', 'runtime', 'workdir', 'env', 'params', 'resources', 'timeout', 'retries', 'queue', 'priority', 'labels', 'outputs',
    ]));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['command']);
  });
});
