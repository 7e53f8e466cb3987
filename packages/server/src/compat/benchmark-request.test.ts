import { describe, expect, it } from 'vitest';
import {
  benchmarkOverrides, benchmarkStatus, composeMemory, delayedCommand, requestJson, requestPath, runBenchmarkBody,
} from './benchmark-request.js';

const base = { queue: 'benchmark', resultId: '749320ef-a52d-4131-8c62-aa09497eb904', resultUrl: 'http://h:1/compat/benchmark/api/v1.0/set_result/749320ef-a52d-4131-8c62-aa09497eb904' };
const template = {
  runtime: 'docker', command: 'bench', params: { benchmark: { publishers: 1 } }, datasets: ['weights'],
  services: { 'object-detection': { image: 'od:1', env: { A: '1' } }, 'media-server': { image: 'ms:1', datasets: ['x'] } },
};

describe('benchmark request → template overrides', () => {
  it('maps image, cpus, mem_limit and environment of a service, and adds new services', () => {
    const body = runBenchmarkBody.parse({
      override_services: {
        'object-detection': { image: 'od:game-demo', mem_limit: '800mb', cpus: '2.5', environment: ['DNN_WEIGHTS_PATH=/w/yolo.h5', 'X=a=b'] },
        'new-service': { image: 'new:tag', environment: { LOGGING_LEVEL: 'DEBUG', GONE: null } },
        'media-server': null,
      },
      target_system: { version: 'v1.1.0' },
    });
    const { overrides, issues } = benchmarkOverrides({ ...base, body, template });
    expect(issues).toEqual([]);
    expect(overrides).toEqual({
      queue: 'benchmark',
      finish_on_result: true,
      labels: { 'regatta.compat': 'benchmark', 'regatta.compat/result-id': base.resultId },
      env: { RESULT_WEBHOOK: base.resultUrl, BENCHMARK_CONFIG: JSON.stringify({ publishers: 1, result_webhook: base.resultUrl }) },
      params: { target_version: 'v1.1.0' },
      services: {
        'object-detection': { image: 'od:game-demo', resources: { cpus: 2.5, memory: 800 * 1024 ** 2 }, env: { DNN_WEIGHTS_PATH: '/w/yolo.h5', X: 'a=b' } },
        'new-service': { image: 'new:tag', env: { LOGGING_LEVEL: 'DEBUG', GONE: null } },
        'media-server': null,
      },
    });
  });

  it("replaces the template's benchmark configuration with the request's, always with this run's result_webhook", () => {
    const body = runBenchmarkBody.parse({ benchmark: { 'benchmark-version': 'abc', result_webhook: 'http://elsewhere' } });
    const { overrides } = benchmarkOverrides({ ...base, body, template });
    expect(JSON.parse((overrides.env as Record<string, string>).BENCHMARK_CONFIG ?? '')).toEqual({ 'benchmark-version': 'abc', result_webhook: base.resultUrl });
  });

  it('adds the requested datasets to the task and every service, or only to the configured services', () => {
    const body = runBenchmarkBody.parse({ datasets: ['coco2017-val-300x300-30fps.flv', 'weights'] });
    const all = benchmarkOverrides({ ...base, body, template }).overrides;
    expect(all.datasets).toEqual(['weights', 'coco2017-val-300x300-30fps.flv']);
    expect(all.services).toEqual({
      'object-detection': { datasets: ['coco2017-val-300x300-30fps.flv', 'weights'] },
      'media-server': { datasets: ['x', 'coco2017-val-300x300-30fps.flv', 'weights'] },
    });
    const some = benchmarkOverrides({ ...base, body, template, datasetServices: ['media-server', 'not-there'] }).overrides;
    expect(some.datasets).toBeUndefined();
    expect(some.services).toEqual({ 'media-server': { datasets: ['x', 'coco2017-val-300x300-30fps.flv', 'weights'] } });
  });

  it('names the field of a value it cannot read', () => {
    const body = runBenchmarkBody.parse({ override_services: { forwarder: { mem_limit: 'lots', environment: ['JUST_A_NAME', '1X=2'] } } });
    const { issues, warnings } = benchmarkOverrides({ ...base, body, template });
    expect(issues).toEqual([
      { path: 'override_services.forwarder.mem_limit', message: "expected a size such as '800mb', '1g' or a number of bytes" },
      { path: 'override_services.forwarder.environment[1]', message: "'1X' is not a valid environment variable name" },
    ]);
    // Compose would copy a bare name from the controller's environment: accepted, not set, noted.
    expect(warnings).toEqual(["override_services.forwarder.environment[0]: 'JUST_A_NAME' has no value (compose would copy it from the controller's environment); not set"]);
    expect(runBenchmarkBody.safeParse({ override_services: { Bad_Name: {} } }).success).toBe(false);
    expect(runBenchmarkBody.safeParse({ target_system: { sleep_after_target_startup: 'soon' } }).success).toBe(false);
  });

  it('accepts what the original accepted and it cannot map, each as a warning', () => {
    const body = runBenchmarkBody.parse({
      extra_nodes: { jetson: { override_services: {} } }, start_only_services: 'x',
      target_system: { version: 'latest', flavour: 'x' },
      override_services: { forwarder: { volumes: ['/data:/data'], networks: ['n'] } },
    });
    const { overrides, issues, warnings } = benchmarkOverrides({ ...base, body, template });
    expect(issues).toEqual([]);
    expect(warnings).toEqual([
      'extra_nodes: benchmarks on extra nodes (e.g. jetson) are not supported; ignored',
      'start_only_services: not a field Regatta maps; ignored',
      'target_system.flavour: not a field Regatta maps; ignored',
      'override_services.forwarder.networks: a compose key Regatta does not map; ignored',
      'override_services.forwarder.volumes[0]: /data is not under a host path the admin allows (docker.allowedHostPaths: none); ignored',
    ]);
    expect(overrides.services).toEqual({ forwarder: {} });
    // The default template's extra_nodes: null is no request at all.
    expect(benchmarkOverrides({ ...base, body: runBenchmarkBody.parse({ extra_nodes: null }), template }).warnings).toEqual([]);
  });

  it('mounts the volumes of a service that the admin allows, added to those of the template', () => {
    const body = runBenchmarkBody.parse({ override_services: { 'media-server': { volumes: ['/data/datasets/a.flv:/var/media_files/mp4s/a.flv', 'cache:/cache', '/etc:/e:ro'] } } });
    const withMounts = { ...template, services: { ...template.services, 'media-server': { ...template.services['media-server'], mounts: [{ source: '/srv/x', target: '/x' }] } } };
    const { overrides, warnings } = benchmarkOverrides({ ...base, body, template: withMounts, allowedHostPaths: ['/data'] });
    expect((overrides.services as Record<string, { mounts?: unknown }>)['media-server']?.mounts).toEqual([
      { source: '/srv/x', target: '/x' }, { source: '/data/datasets/a.flv', target: '/var/media_files/mp4s/a.flv', readonly: false },
    ]);
    expect(warnings).toEqual([
      'override_services.media-server.volumes[1]: only host directories can be mounted (not a named volume); ignored',
      'override_services.media-server.volumes[2]: /etc is not under a host path the admin allows (docker.allowedHostPaths: /data); ignored',
    ]);
    const processTemplate = benchmarkOverrides({ ...base, body, template: { command: 'x' }, allowedHostPaths: ['/data'] });
    expect(processTemplate.warnings).toEqual(['override_services.media-server.volumes: the template runs services as processes, which take no mounts; ignored']);
  });

    it('delays the task by sleep_after_target_startup, and gives it the value', () => {
    const body = runBenchmarkBody.parse({ target_system: { sleep_after_target_startup: '30' } });
    const { overrides } = benchmarkOverrides({ ...base, body, template });
    expect(overrides.command).toBe('sleep 30; bench');
    expect((overrides.env as Record<string, string>).SLEEP_AFTER_TARGET_STARTUP).toBe('30');
    expect(delayedCommand(['python', 'run.py'], 5)).toEqual(['/bin/sh', '-c', 'sleep 5; exec "$@"', 'sh', 'python', 'run.py']);
    const imageOwn = benchmarkOverrides({ ...base, body, template: { services: {} } });
    expect(imageOwn.overrides.command).toBeUndefined();
    expect(imageOwn.warnings[0]).toMatch(/no command to delay/);
  });

  it("refuses an empty or missing JSON value as the original's `if not request.json`", () => {
    for (const v of [undefined, null, {}, [], 0, '', false]) expect(() => requestJson(v, 'the result')).toThrow(/non-empty JSON/);
    for (const v of [{ a: 1 }, [1], 1, 'x', true]) expect(() => requestJson(v, 'the result')).not.toThrow();
  });

  it('reads compose memory sizes in binary units', () => {
    expect([composeMemory('800mb'), composeMemory('1g'), composeMemory('512M'), composeMemory('100k'), composeMemory(2048), composeMemory('1.5g')])
      .toEqual([800 * 1024 ** 2, 1024 ** 3, 512 * 1024 ** 2, 100 * 1024, 2048, 1.5 * 1024 ** 3]);
    expect(composeMemory('800 apples')).toBeUndefined();
    expect(composeMemory('0')).toBeUndefined();
  });

  it('shows run states as the controller did, and spec paths as the request named them', () => {
    expect(['queued', 'starting', 'building', 'running', 'cleanup', 'succeeded', 'failed', 'canceled'].map((s) => benchmarkStatus(s as 'queued')))
      .toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'CLEANUP', 'FINISHED', 'FINISHED', 'FINISHED']);
    const named = new Set(['forwarder']);
    expect(requestPath('services.forwarder.resources.memory', named)).toBe('override_services.forwarder.mem_limit');
    expect(requestPath('services.forwarder.env.X', named)).toBe('override_services.forwarder.environment.X');
    expect(requestPath('services.forwarder.command', named)).toBe('override_services.forwarder.command');
    expect(requestPath('services.other.command', named)).toBe('services.other.command');
    expect(requestPath('datasets[0]', named)).toBe('datasets[0]');
  });
});
