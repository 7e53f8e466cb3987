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

describe('server config: store and metrics', () => {
  it('takes a postgresql:// URL or a SQLite path for db (default <data>/regatta.db), also from REGATTA_DB', () => {
    expect(compileServerConfig({ data: '/srv/r' }, {}).db).toBe('/srv/r/regatta.db');
    expect(compileServerConfig({ data: '/srv/r', db: 'other.db' }, {}).db).toMatch(/^\/.*\/other\.db$/);
    expect(compileServerConfig({}, { REGATTA_DB: 'postgresql://regatta@db/regatta' }).db).toBe('postgresql://regatta@db/regatta');
    expect(compileServerConfig({ db: 'postgres://u@h/d' }, {}).db).toBe('postgres://u@h/d');
    expect(() => compileServerConfig({ db: 'mysql://u@h/d' }, {})).toThrow(/db: a postgresql:\/\/ URL or a SQLite file path/);
  });

  it('parses metrics.listen as host:port and refuses anything else, naming the field', () => {
    expect(compileServerConfig({ metrics: { listen: '127.0.0.1:9464' } }, {}).metrics).toEqual({ listen: { host: '127.0.0.1', port: 9464 } });
    expect(compileServerConfig({ metrics: { listen: ':9464' } }, {}).metrics).toEqual({ listen: { host: '0.0.0.0', port: 9464 } });
    expect(compileServerConfig({ metrics: { listen: '[::1]:9464' } }, {}).metrics).toEqual({ listen: { host: '::1', port: 9464 } });
    expect(compileServerConfig({}, {}).metrics).toEqual({});
    expect(() => compileServerConfig({ metrics: { listen: '9464' } }, {})).toThrow(/metrics\.listen: host:port/);
    expect(() => compileServerConfig({ metrics: { listen: 'h:99999' } }, {})).toThrow(/metrics\.listen: port 99999/);
  });
  it("takes a pool node's declared CPUs and memory, and refuses a size it cannot read, naming the field", () => {
    const c = compileServerConfig({ nodes: [{ name: 'lab-1', docker: 'tcp://10.0.0.12:2376', cpus: 6, memory: '2Gi' }, { name: 'lab-2', docker: 'tcp://10.0.0.13:2376' }] }, {});
    expect(c.nodes).toEqual([{ name: 'lab-1', url: 'tcp://10.0.0.12:2376', cpus: 6, memory: 2 * 1024 ** 3 }, { name: 'lab-2', url: 'tcp://10.0.0.13:2376' }]);
    expect(() => compileServerConfig({ nodes: [{ name: 'lab-1', docker: 'tcp://h:2376', memory: 'lots' }] }, {})).toThrow(/nodes\[0\]\.memory: expected a size such as 16Gi/);
    expect(() => compileServerConfig({ nodes: [{ name: 'lab-1', docker: 'tcp://h:2376', cpus: 0 }] }, {})).toThrow(/nodes\[0\]\.cpus/);
  });
});
