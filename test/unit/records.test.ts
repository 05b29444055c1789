import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateStream } from '../../src/csv/bulk.js';
import { detectDialect, parseRows } from '../../src/csv/dialect.js';
import { CsvRecordReader, readRecords, type RecordDialect } from '../../src/csv/records.js';

// Reproducible in CI (see test/adversarial/figures.ts); new inputs elsewhere.
if (process.env.CI) fc.configureGlobal({ seed: 20261126 });

/** What csv-parse reads under the dialect; null where it gives up (a quote open at the end). */
function oracle(text: string, d: RecordDialect): string[][] | null {
  try {
    return parse(text, {
      delimiter: d.delimiter,
      quote: d.quote ?? '"',
      ...(d.recordDelimiter ? { record_delimiter: d.recordDelimiter } : {}),
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
    }) as string[][];
  } catch {
    return null;
  }
}

function chunked(text: string, d: RecordDialect, cuts: number[], viewing = false): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const r = viewing ? CsvRecordReader.viewing(d, (view, line) => void out.push({ fields: view.fields(), line })) : new CsvRecordReader(d, (fields, line) => void out.push({ fields, line }));
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(text.length, c);
    r.feed(text.slice(at, Math.max(at, to)));
    at = Math.max(at, to);
  }
  r.feed(text.slice(at));
  r.end();
  return out;
}

/** The sandbox's path: validateStream over a stream of the text's bytes, in the given chunks. */
async function throughValidateStream(text: string, cuts: number[]): Promise<string[][]> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(bytes.length, Math.max(at, c));
    chunks.push(bytes.subarray(at, to));
    at = to;
  }
  chunks.push(bytes.subarray(at));
  const seen: string[][] = [];
  await validateStream(Readable.from(chunks.filter((c) => c.length)), 'f', (fields) => (seen.push(fields), null));
  return seen;
}

// Text made of the characters that matter, so that every rule is hit often.
const alphabet = fc.constantFrom('a', 'b', '6', ' ', '"', '"', ',', ';', '\t', '|', '\n', '\r', '\r\n', '""', 'é', '\uFEFF');
const csvText = fc.array(alphabet, { maxLength: 80 }).map((a) => a.join(''));
const dialect = fc.record({ delimiter: fc.constantFrom(',', ';', '\t', '|'), quote: fc.constantFrom('"', "'") }) as fc.Arbitrary<RecordDialect>;
const cuts = fc.array(fc.nat({ max: 100 }), { maxLength: 6 });

describe('the one CSV record reader', () => {
  it('reads "6\\" pipe" in an unquoted field as data: every path sees the same 3 rows as csv-parse', async () => {
    const text = 'id,item,qty\n1,6" pipe,4\n2,3/4" elbow,10\n';
    const expected = [['id', 'item', 'qty'], ['1', '6" pipe', '4'], ['2', '3/4" elbow', '10']];
    expect(oracle(text, { delimiter: ',' })).toEqual(expected);
    expect(readRecords(text, { delimiter: ',' })).toEqual(expected);
    expect(parseRows(text, ',')).toEqual(expected); // inference
    expect(detectDialect(text).rows).toEqual(expected);
    expect(await throughValidateStream(text, [5, 17])).toEqual(expected); // the sandbox and bulk validation
  });

  it('splits plain lines, skips empty ones, handles CRLF, a BOM and a last line without a line break', () => {
    expect(chunked('\uFEFFa,b,c\r\n\r\n1,2,3\r\n4,,6', { delimiter: ',' }, [3, 9])).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 3 },
      { fields: ['4', '', '6'], line: 4 },
    ]);
  });

  it('parses quotes: delimiters, doubled quotes and line breaks inside, across chunk boundaries', () => {
    expect(chunked('x,"a,b","say ""hi""",z\n"multi\nline",2\nlast,"open', { delimiter: ',' }, [1, 2, 3, 10, 11, 12, 30])).toEqual([
      { fields: ['x', 'a,b', 'say "hi"', 'z'], line: 1 },
      { fields: ['multi\nline', '2'], line: 3 },
      { fields: ['last', 'open'], line: 4 }, // an open quote runs to the end (csv-parse gives up here)
    ]);
  });

  it('keeps a closing quote followed by text, as csv-parse does with relax_quotes', () => {
    expect(readRecords('"a"b,c\n', { delimiter: ',' })).toEqual([['"a"b', 'c']]);
    expect(oracle('"a"b,c\n', { delimiter: ',' })).toEqual([['"a"b', 'c']]);
  });

  it('uses the first line break for the whole text: a later \\r is data', () => {
    expect(readRecords('a,b\nc,d\r\ne', { delimiter: ',' })).toEqual([['a', 'b'], ['c', 'd\r'], ['e']]);
    expect(readRecords('a\rb\rc', { delimiter: ',' })).toEqual([['a'], ['b'], ['c']]);
  });

  it('stops when asked', () => {
    let n = 0;
    const r = new CsvRecordReader({ delimiter: ',' }, () => ++n < 2);
    expect(r.feed('1\n2\n3\n4\n')).toBe(false);
    expect(n).toBe(2);
  });

  it('reads what csv-parse reads, whatever the text, dialect and chunking (property)', () => {
    fc.assert(
      fc.property(csvText, dialect, cuts, (text, d, at) => {
        const expected = oracle(text, d);
        const got = chunked(text, d, at).map((r) => r.fields);
        expect(chunked(text, d, []).map((r) => r.fields)).toEqual(got); // chunking changes nothing
        expect(chunked(text, d, at, true)).toEqual(chunked(text, d, at)); // records viewed (prepare_files) = records as strings
        if (expected !== null) expect(got).toEqual(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it('the sandbox and bulk path (validateStream over bytes) and inference (parseRows) read the same (property)', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, cuts, async (text, at) => {
        const expected = oracle(text, { delimiter: ',' });
        fc.pre(expected !== null);
        expect(await throughValidateStream(text, at)).toEqual(expected);
        expect(parseRows(text, ',', Infinity)).toEqual(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('agrees with csv-parse on well-formed CSV with long lines (property)', () => {
    const field = fc.oneof(fc.stringMatching(/^[a-z0-9.\- ]{0,12}$/), fc.string({ maxLength: 12 }).map((s) => `"${s.replace(/"/g, '""')}"`));
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        cuts,
        (rows, nl, at) => {
          const text = rows.map((r) => r.join(',')).join(nl) + nl;
          const expected = oracle(text, { delimiter: ',' });
          expect(chunked(text, { delimiter: ',' }, at).map((r) => r.fields)).toEqual(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
