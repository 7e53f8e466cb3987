import { describe, expect, it } from 'vitest';
import { deriveRunName } from './run-name.js';
import { SpecError } from './errors.js';
import { compileSpec } from './spec.js';

describe('deriveRunName', () => {
  it.each([
    [['python3', 'train.py'], 'train'],
    [['python3', '-u', 'scripts/train.py', '--lr', '0.1'], 'train'],
    ['python -m pkg.bench --fast', 'pkg.bench'],
    ['torchrun --nproc_per_node 4 fit.py', 'fit'],
    [['sh', '-c', 'cd /data && ./eval.sh --all'], 'eval'],
    ['for i in 1 2 3; do echo $i; done', 'echo'],
    ['FOO=1 uv run bench.py', 'bench'],
    [['sleep', '5'], 'sleep'],
    ['$CMD', 'run'],
    ['true', 'true'],
    [['bash'], 'bash'],
  ])('%j → %s', (command, name) => {
    expect(deriveRunName(command)).toBe(name);
  });
});

describe('reserved environment names', () => {
  it('refuses REGATTA_* in a spec\'s env, naming the field', () => {
    let issues: unknown;
    try {
      compileSpec({ command: 'true', env: { REGATTA_API_URL: 'http://x', OK: '1' } });
    } catch (e) {
      issues = e instanceof SpecError ? e.issues : e;
    }
    expect(issues).toEqual([{ path: 'env.REGATTA_API_URL', message: expect.stringMatching(/set by Regatta/) as unknown }]);
    expect(compileSpec({ command: 'true', env: { MY_REGATTA_X: '1' } }).resolved.env).toMatchObject({ MY_REGATTA_X: '1' });
  });
});
