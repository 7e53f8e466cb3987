import { describe, expect, it } from 'vitest';
import { checkValue, readInput, schemaAt, setPath, type SchemaNode } from './schema-check.js';

const schema: SchemaNode = {
  type: 'object',
  properties: {
    priority: { type: 'integer', minimum: -1000, maximum: 1000 },
    queue: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' },
    resources: { type: 'object', properties: { cpus: { type: 'number', exclusiveMinimum: 0 }, memory: { type: ['string', 'number'] } } },
  },
};

describe('schema check', () => {
  it('finds nested fields and checks type, bounds and pattern', () => {
    expect(checkValue(schemaAt(schema, 'priority'), 5)).toBeUndefined();
    expect(checkValue(schemaAt(schema, 'priority'), 2000)).toBe('at most 1000');
    expect(checkValue(schemaAt(schema, 'priority'), 1.5)).toBe('expected integer');
    expect(checkValue(schemaAt(schema, 'resources.cpus'), 0)).toBe('more than 0');
    expect(checkValue(schemaAt(schema, 'resources.cpus'), 2)).toBeUndefined();
    expect(checkValue(schemaAt(schema, 'queue'), 'has space')).toMatch(/does not match/);
    expect(checkValue(schemaAt(schema, 'resources.memory'), '4Gi')).toBeUndefined();
    expect(schemaAt(schema, 'nope.x')).toBeUndefined();
  });

  it('reads inputs as the schema or the default wants', () => {
    expect(readInput('0.01', undefined, 0.1)).toBe(0.01);
    expect(readInput('4', schemaAt(schema, 'resources.cpus'))).toBe(4);
    expect(readInput('4Gi', schemaAt(schema, 'resources.memory'))).toBe('4Gi');
    expect(readInput('4096', schemaAt(schema, 'resources.memory'))).toBe(4096);
    expect(readInput('true', undefined, false)).toBe(true);
    expect(readInput('[1,2]', undefined, [0])).toEqual([1, 2]);
    const o: Record<string, unknown> = {};
    setPath(o, 'resources.cpus', 2);
    expect(o).toEqual({ resources: { cpus: 2 } });
  });
});
