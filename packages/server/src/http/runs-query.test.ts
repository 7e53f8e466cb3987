import { describe, expect, it } from 'vitest';
import { RegattaError } from '@regatta/core';
import { parseFields, parseFilters, parseSort } from './runs-query.js';

const issue = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RegattaError) return e.issues?.[0]?.path;
  }
  return undefined;
};

describe('runs query', () => {
  it('reads a sort: built-ins and fields, - for descending', () => {
    expect(parseSort('-metrics.loss.min')).toEqual({ key: { field: 'metrics.loss.min' }, order: 'desc' });
    expect(parseSort('duration')).toEqual({ key: 'duration', order: 'asc' });
    expect(parseSort('params.model.depth')).toEqual({ key: { field: 'params.model.depth' }, order: 'asc' });
    expect(issue(() => parseSort('metrics.loss'))).toBe('query.sort');
    expect(issue(() => parseSort('bogus'))).toBe('query.sort');
  });

  it('reads filters with every operator, numbers as numbers', () => {
    expect(parseFilters(['params.lr>=0.01', 'result.model=resnet', 'metrics.acc.max>.9', 'params.tag~abc', 'result.acc', 'params.lr!=1e-3'])).toEqual([
      { field: 'params.lr', op: '>=', value: 0.01 },
      { field: 'result.model', op: '=', value: 'resnet' },
      { field: 'metrics.acc.max', op: '>', value: 0.9 },
      { field: 'params.tag', op: '~', value: 'abc' },
      { field: 'result.acc', op: 'has' },
      { field: 'params.lr', op: '!=', value: 0.001 },
    ]);
    expect(parseFilters('params.a<=2')).toEqual([{ field: 'params.a', op: '<=', value: 2 }]);
    expect(issue(() => parseFilters(['params.a=1', 'loss<2']))).toBe('query.filter[1]');
    expect(issue(() => parseFilters('params.a>'))).toBe('query.filter');
  });

  it('reads columns', () => {
    expect(parseFields('params.lr, metrics.loss.last,params.lr')).toEqual(['params.lr', 'metrics.loss.last']);
    expect(issue(() => parseFields('params.lr,nope'))).toBe('query.fields');
  });
});
