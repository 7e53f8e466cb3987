import { describe, expect, it } from 'vitest';
import { compileServerConfig } from './config.js';

describe('server config: Slurm', () => {
  it('compiles the slurm section with defaults, and the clients\' environment', () => {
    const c = compileServerConfig({ slurm: { sharedDir: '/shared/regatta/', partition: 'gpu' }, queues: { hpc: { backend: 'slurm' } } }, { PATH: '/bin', SLURM_CONF: '/etc/s.conf' });
    expect(c.slurm).toEqual({
      sharedDir: '/shared/regatta', partition: 'gpu', env: { PATH: '/bin', SLURM_CONF: '/etc/s.conf' }, pollIntervalMs: 2000, batchWindowMs: 50, docker: {},
    });
    expect(c.queues.hpc).toEqual({ backend: 'slurm' });
  });

  it('refuses a queue mapped to a backend that is not configured, and a relative shared directory, naming the field', () => {
    expect(() => compileServerConfig({ queues: { hpc: { backend: 'slurm' } } }, {})).toThrow(/queues\.hpc\.backend: no backend 'slurm'/);
    expect(() => compileServerConfig({ slurm: { sharedDir: 'shared' } }, {})).toThrow(/slurm\.sharedDir: an absolute path/);
    expect(() => compileServerConfig({ slurm: { sharedDir: '/s', pollInterval: 'soon' } }, {})).toThrow(/slurm\.pollInterval/);
  });
});
