import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads quotes, doubled quotes, separators and newlines inside quotes', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\n2,"two\nlines"\n')).toEqual([['a', 'b'], ['1', 'x, "y"'], ['2', 'two\nlines']]);
    expect(parseCsv('a\tb\n1\t2', '\t')).toEqual([['a', 'b'], ['1', '2']]);
    expect(parseCsv('h\n1\n2\n3', ',', 2)).toEqual([['h'], ['1']]);
  });
});
