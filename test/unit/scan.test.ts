import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvScanner, parseQuotedRecord } from '../../src/csv/scan.js';

// Reproducible in CI (see test/adversarial/figures.ts); new inputs elsewhere.
if (process.env.CI) fc.configureGlobal({ seed: 20261126 });

function scanAll(text: string, chunk = 7): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const s = new CsvScanner((fields, line) => (out.push({ fields, line }), true));
  for (let i = 0; i < text.length; i += chunk) s.feed(text.slice(i, i + chunk));
  s.end();
  return out;
}

describe('the CSV record scanner', () => {
  it('splits plain lines, skips empty ones, handles CRLF, a BOM and a last line without newline', () => {
    const r = scanAll('\uFEFFa,b,c\r\n\n1,2,3\n4,,6');
    expect(r).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 3 },
      { fields: ['4', '', '6'], line: 4 },
    ]);
  });

  it('parses quotes: commas, doubled quotes and newlines inside, across chunk boundaries', () => {
    const r = scanAll('x,"a,b","say ""hi""",z\n"multi\nline",2\nlast,"open', 3);
    expect(r).toEqual([
      { fields: ['x', 'a,b', 'say "hi"', 'z'], line: 1 },
      { fields: ['multi\nline', '2'], line: 3 },
      { fields: ['last', 'open'], line: 4 },
    ]);
  });

  it('stops when asked', () => {
    let n = 0;
    const s = new CsvScanner(() => ++n < 2);
    expect(s.feed('1\n2\n3\n4\n')).toBe(false);
    expect(n).toBe(2);
  });

  it('agrees with csv-parse on well-formed CSV (property)', () => {
    const field = fc.oneof(fc.stringMatching(/^[a-z0-9.\- ]{0,6}$/), fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`));
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 50 }), (rows, chunk) => {
        const text = rows.map((r) => r.join(',')).join('\n') + '\n';
        const expected = (parse(text, { relax_column_count: true, skip_empty_lines: true }) as string[][]).filter((r) => !(r.length === 1 && r[0] === ''));
        const got = scanAll(text, chunk).map((x) => x.fields).filter((r) => !(r.length === 1 && r[0] === ''));
        expect(got).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('parses a quoted record leniently', () => {
    expect(parseQuotedRecord('"a"b,c')).toEqual(['ab', 'c']);
    expect(parseQuotedRecord('"unclosed,x')).toEqual(['unclosed,x']);
    expect(parseQuotedRecord('a,')).toEqual(['a', '']);
  });
});
