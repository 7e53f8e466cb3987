import { describe, expect, it } from 'vitest';
import { artifactKey, logKey } from './key-template.js';

const item = { runId: 'r1', attempt: 2, groupId: 'g1', itemKey: 'scenes/a.json', params: { eval_name: 'eval5', metadata: 'level2', scene: 'scenes/a.json' }, labels: { team: 'blue' } };

describe('artifactKey', () => {
  it('defaults to <group>/<item>/<attempt>/<path>, and <run>/<attempt>/<path> for a single run', () => {
    expect(artifactKey(item, 'out/result.json')).toBe('g1/scenes/a.json/2/out/result.json');
    expect(artifactKey({ runId: 'r1', attempt: 1, params: {}, labels: {} }, 'x.txt', '/pre/')).toBe('pre/r1/1/x.txt');
  });
  it('fills a template, appending the path when the template does not place it', () => {
    const keyTemplate = 'eval-5/{params.eval_name}_{params.metadata}_{labels.team}_{item}';
    expect(artifactKey({ ...item, keyTemplate }, 'result.json')).toBe('eval-5/eval5_level2_blue_scenes/a.json/result.json');
    expect(artifactKey({ ...item, keyTemplate: '{run}-{attempt}/{path}.bak' }, 'a.txt')).toBe('r1-2/a.txt.bak');
  });
  it('keeps substituted values from climbing out or adding odd characters', () => {
    const evil = { ...item, params: { x: '../../etc passwd' }, keyTemplate: 'k/{params.x}/{path}' };
    expect(artifactKey(evil, 'f')).toBe('k/etc_passwd/f');
    expect(artifactKey({ ...item, keyTemplate: 'k/{params.missing}/{path}' }, 'f')).toBe('k/f');
  });
  it('puts archived logs under logs/', () => {
    expect(logKey(item)).toBe('logs/g1/scenes/a.json/2/log');
  });
});
