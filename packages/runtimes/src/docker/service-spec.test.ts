import { describe, expect, it } from 'vitest';
import { compileSpec } from '@regatta/core';
import type { LaunchRequest } from '../runtime.js';
import { containerCreateBody } from './container-spec.js';
import { endpointsOf, healthcheckBody, publishFor } from './ports-health.js';
import { networkCreateBody, serviceContainerBody } from './service-spec.js';

function req(input: Record<string, unknown>): LaunchRequest {
  const { resolved } = compileSpec({ runtime: 'docker', image: 'img:1', command: 'run', ...input });
  return {
    runId: '01m7zvdh0g30nskqbxb2', attempt: 2, spec: resolved, env: { REGATTA_RUN_ID: '01m7zvdh0g30nskqbxb2', REGATTA_RUN_TOKEN: 't' },
    paths: { dir: '/d', outputs: '/d/outputs', log: '/d/log' }, node: 'n', gpus: [],
  };
}

describe('Docker health checks', () => {
  const h = { intervalMs: 100, timeoutMs: 2000, retries: 3, startPeriodMs: 5000 };
  it('runs a command check through the shell or as argv, durations in nanoseconds', () => {
    expect(healthcheckBody({ ...h, check: { command: 'test -f /ready' } })).toEqual({
      Test: ['CMD-SHELL', 'test -f /ready'], Interval: 100e6, Timeout: 2000e6, Retries: 3, StartPeriod: 5000e6,
    });
    expect(healthcheckBody({ ...h, check: { command: ['pg_isready', '-q'] } }).Test).toEqual(['CMD', 'pg_isready', '-q']);
  });

  it('checks http with wget and tcp with nc -z or a listening socket in /proc/net/tcp', () => {
    expect(healthcheckBody({ ...h, check: { http: { port: 8080, path: '/health' } } }).Test)
      .toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health']);
    const tcp = healthcheckBody({ ...h, check: { tcp: 5432 } }).Test;
    expect(tcp[0]).toBe('CMD-SHELL');
    expect(tcp[1]).toMatch(/^nc -z 127\.0\.0\.1 5432 .*\|\| grep -qE .*:1538 .* 0A /); // 5432 = 0x1538
  });
});

describe('published ports', () => {
  it('publishes on loopback for a local engine and on the engine address for a tcp one', () => {
    expect(publishFor('unix:///var/run/docker.sock')).toEqual({ hostIp: '127.0.0.1', host: '127.0.0.1' });
    expect(publishFor('tcp://10.0.0.7:2376')).toEqual({ hostIp: '10.0.0.7', host: '10.0.0.7' });
    expect(publishFor('tcp://gpu-box:2375')).toEqual({ hostIp: '', host: 'gpu-box' });
  });

  it('asks the engine for a free host port per declared port, and reads them back', () => {
    const b = containerCreateBody(req({ kind: 'service', ports: [8888, { port: 6006 }], health: { http: { port: 8888 } } }), {
      outputsHostPath: '/o', publish: { hostIp: '127.0.0.1', host: '127.0.0.1' },
    });
    expect(b.ExposedPorts).toEqual({ '8888/tcp': {}, '6006/tcp': {} });
    expect(b.HostConfig.PortBindings).toEqual({ '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '6006/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(b.Healthcheck?.Test).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8888/']);
    const inspected = { NetworkSettings: { Ports: { '8888/tcp': [{ HostIp: '127.0.0.1', HostPort: '49153' }], '6006/tcp': null } } };
    expect(endpointsOf(inspected, [8888, 6006], '127.0.0.1')).toEqual({ 8888: '127.0.0.1:49153' });
  });
});

describe('service containers', () => {
  const r = req({
    env: { SHARED: 'spec' },
    services: {
      db: { image: 'postgres:16', env: { POSTGRES_PASSWORD: 'x' }, ports: [5432], resources: { cpus: 2, memory: '1Gi' }, datasets: ['seed'], health: { tcp: 5432 } },
      web: { image: 'busybox', command: 'httpd -f -p 80', depends_on: ['db'] },
    },
  });
  const [db, web] = r.spec.services;

  it('joins the attempt network under its name, with its env, resources, outputs and datasets', () => {
    const svc = { ...db!, datasets: db!.datasets.map((d) => ({ ...d, source: '/srv/seed' })), mounts: [{ source: '/srv/conf', target: '/etc/db', readonly: true }, { source: '/srv/tmp', target: '/tmp/x', readonly: false }] };
    const b = serviceContainerBody(r, svc, { outputsHostPath: '/d/outputs/services/db', env: { REGATTA_RUN_ID: 'r', REGATTA_SERVICE_DB_HOST: 'db' } });
    expect(b).toMatchObject({
      name: 'regatta-01m7zvdh0g30nskqbxb2-2-db',
      Image: 'postgres:16',
      Labels: { 'dev.regatta.run': '01m7zvdh0g30nskqbxb2', 'dev.regatta.attempt': '2', 'dev.regatta.service': 'db' },
      NetworkingConfig: { EndpointsConfig: { 'regatta-01m7zvdh0g30nskqbxb2-2': { Aliases: ['db'] } } },
      HostConfig: {
        NetworkMode: 'regatta-01m7zvdh0g30nskqbxb2-2',
        Binds: ['/d/outputs/services/db:/regatta/outputs', '/srv/seed:/datasets/seed:ro', '/srv/conf:/etc/db:ro', '/srv/tmp:/tmp/x:rw'],
        NanoCpus: 2e9, Memory: 1024 ** 3, MemorySwap: 1024 ** 3, Init: true,
      },
    });
    expect(b.Entrypoint).toBeUndefined(); // the image's own command
    expect(b.Healthcheck?.Test[0]).toBe('CMD-SHELL');
    expect(b.Env).toEqual(expect.arrayContaining([
      'SHARED=spec', 'POSTGRES_PASSWORD=x', 'REGATTA_RUN_ID=r', 'REGATTA_SERVICE_DB_HOST=db', 'REGATTA_SERVICE_NAME=db',
      'REGATTA_OUTPUTS=/regatta/outputs', 'REGATTA_PORT=5432', 'REGATTA_PORT_5432=5432', 'REGATTA_DATASET_SEED=/datasets/seed',
    ]));
  });

  it('runs a string command through sh, with no limits unless asked', () => {
    const b = serviceContainerBody(r, web!, { outputsHostPath: '/o', env: {} });
    expect(b.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(b.Cmd).toEqual(['httpd -f -p 80']);
    expect(b.HostConfig.NanoCpus).toBeUndefined();
    expect(b.HostConfig.Memory).toBeUndefined();
    expect(b.Healthcheck).toBeUndefined();
  });

  it('names and labels the network after the attempt', () => {
    expect(networkCreateBody('r1', 3)).toEqual({
      Name: 'regatta-r1-3', Driver: 'bridge', CheckDuplicate: true, Labels: { 'dev.regatta.run': 'r1', 'dev.regatta.attempt': '3' },
    });
  });
});
