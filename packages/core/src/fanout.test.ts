import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { expandItems } from './fanout.js';
import { compileGroup, compileItems, compileSpec } from './spec.js';

describe('expandItems', () => {
  it('expands a matrix into its cartesian product, with include and exclude', () => {
    const items = expandItems({ matrix: { lr: [0.1, 0.01], depth: [2, 4], exclude: [{ lr: 0.01, depth: 4 }], include: [{ lr: 1, depth: 8 }] } });
    expect(items.map((i) => i.params)).toEqual([
      { lr: 0.1, depth: 2 }, { lr: 0.1, depth: 4 }, { lr: 0.01, depth: 2 }, { lr: 1, depth: 8 },
    ]);
    expect(items.map((i) => i.key)).toEqual(['lr=0.1,depth=2', 'lr=0.1,depth=4', 'lr=0.01,depth=2', 'lr=1,depth=8']);
  });

  it('expands foreach values and files, with unique safe keys', () => {
    expect(expandItems({ foreach: { param: 'year', values: [2011, 2012, 2011] } }).map((i) => i.key)).toEqual(['2011', '2012', '2011-1']);
    const files = expandItems({ foreach: { param: 'scene', files: 'scenes/*.json' } }, ['scenes/a b.json', '../x.json']);
    expect(files).toEqual([{ params: { scene: 'scenes/a b.json' }, key: 'scenes/a_b.json' }, { params: { scene: '../x.json' }, key: 'x.json' }]);
  });

  it('refuses empty and ambiguous fan-outs', () => {
    expect(() => expandItems({ foreach: { param: 's', files: '*.json' } }, [])).toThrow(/no file matches/);
    expect(() => expandItems({ foreach: { param: 's', values: [1], files: '*' } })).toThrow(/exactly one of values or files/);
    expect(() => expandItems({ matrix: { s: [1] }, foreach: { param: 's', values: [1] } })).toThrow(/foreach.param: 's' is also a matrix param/);
  });
});

describe('compileGroup and compileItems', () => {
  it('compiles one spec per item with its params set', () => {
    const g = compileGroup({ name: 'sweep', command: 'train --lr ${params.lr} --d ${params.depth}', params: { seed: 1 }, matrix: { lr: [0.1, 0.01], depth: [2, 4] }, max_parallel: 2, fail_fast: true });
    expect(g).toMatchObject({ maxParallel: 2, failFast: true });
    const items = compileItems(g);
    expect(items).toHaveLength(4);
    expect(items[3]?.resolved.command).toBe('train --lr 0.01 --d 4');
    expect(items[3]?.resolved.params).toEqual({ seed: 1, lr: 0.01, depth: 4 });
  });

  it('names the item whose spec is invalid', () => {
    const g = compileGroup({ command: 'x ${params.nope}', foreach: { param: 'year', values: [2011] } });
    expect(() => compileItems(g)).toThrow(/item 1 \(2011\)/);
  });

  it('a single run refuses fan-out fields', () => {
    expect(() => compileSpec({ command: 'x', max_parallel: 2 })).toThrow(SpecError);
  });
  it('crosses a matrix with a foreach: every combination for every value, keyed <combination>/<value>', () => {
    const items = expandItems({ matrix: { eval_group: ['a', 'b'], level: [1] }, foreach: { param: 'scene', files: 'x' } }, ['s/1.json', 's/2.json']);
    expect(items).toEqual([
      { params: { eval_group: 'a', level: 1, scene: 's/1.json' }, key: 'eval_group=a,level=1/s/1.json' },
      { params: { eval_group: 'a', level: 1, scene: 's/2.json' }, key: 'eval_group=a,level=1/s/2.json' },
      { params: { eval_group: 'b', level: 1, scene: 's/1.json' }, key: 'eval_group=b,level=1/s/1.json' },
      { params: { eval_group: 'b', level: 1, scene: 's/2.json' }, key: 'eval_group=b,level=1/s/2.json' },
    ]);
  });
});
