import { describe, expect, it } from 'vitest';
import { inferCsvFormat } from '../../src/csv/infer.js';
import { decode, sampleFromText } from '../../src/csv/sample.js';
// @ts-expect-error plain ESM helper shared with the benchmark
import { scoreCorpus } from '../../scripts/infer-score.mjs';

const infer = (bytes: Buffer) => {
  const { text, encoding } = decode(bytes);
  return inferCsvFormat({ text, origin: 'corpus', encoding, compression: 'none', truncated: false, bytesRead: bytes.length });
};

describe('inference on the development split of the real-world schemas (test/fixtures/infer)', () => {
  const score = scoreCorpus(infer, 'dev') as {
    files: number;
    dialectRight: number;
    fullyRight: number;
    confidentWrong: number;
    rows: { file: string; fullyRight: boolean; problems: string[] }[];
  };

  it('gets every dialect right', () => {
    expect(score.rows.filter((r) => r.problems.some((p) => /delimiter|hasHeader/.test(p)))).toEqual([]);
    expect(score.dialectRight).toBe(score.files);
  });

  it('gets at least 97% of files fully right on the core fields', () => {
    const misses = score.rows.filter((r) => !r.fullyRight).map((r) => `${r.file}: ${r.problems.join('; ')}`);
    expect(score.files).toBeGreaterThanOrEqual(80);
    expect(score.fullyRight / score.files, misses.join('\n')).toBeGreaterThanOrEqual(0.97);
  });

  it('is never confidently wrong', () => {
    expect(score.confidentWrong).toBe(0);
  });
});

describe('the held-out split (schemas-holdout.mjs: public sources the development corpus does not have)', () => {
  // Not tuned on; guarded only for what must hold everywhere: confidence >= 0.7 means right.
  const score = scoreCorpus(infer, 'holdout') as { files: number; confidentWrong: number; rows: { file: string; confidentWrong: number; problems: string[] }[] };

  it('is never confidently wrong', () => {
    expect(score.files).toBeGreaterThanOrEqual(30);
    expect(score.rows.filter((r) => r.confidentWrong > 0).map((r) => `${r.file}: ${r.problems.join('; ')}`)).toEqual([]);
  });
});

describe('tiny samples with one bad row', () => {
  const rows = (lines: string[]) => inferCsvFormat(sampleFromText(`${lines.join('\n')}\n`));

  it('keeps a coordinate pair when one of six longitudes is 999, and says which rows will fail', () => {
    const r = rows([
      'id,time,lat,lon',
      'a,2023-06-14T07:30:00Z,48.8500,2.3500',
      'b,2023-06-14T07:30:05Z,48.8600,2.3600',
      'a,2023-06-14T07:30:10Z,48.8501,2.3502',
      'b,2023-06-14T07:30:15Z,48.8602,999',
      'a,2023-06-14T07:30:20Z,48.8503,2.3503',
      'b,2023-06-14T07:30:25Z,48.8603,2.3604',
    ]);
    expect(r.file_format).toMatchObject({ latitude: 2, longitude: 3 });
    expect(r.warnings.join('\n')).toMatch(/Column 3: 1 value\(s\) are not longitudes \("999"\)/);
  });

  it('takes single-digit user ids as the entity (one-letter codes are letters, not digits)', () => {
    const r = rows([
      'lat,lng,datetime,uid',
      ...Array.from({ length: 12 }, (_, i) => `43.${84 + (i % 4)}30139,10.${50 + (i % 3)}7994,2011-02-0${3 + (i % 2)} 0${8 + (i % 2)}:34:04,${1 + Math.floor(i / 3)}`),
    ]);
    expect(r.file_format.entity_id).toBe(3);
  });

  it('does not take a column of one-letter record tags for the entity', () => {
    const r = rows(['INDEX,TAG,DATE,TIME', ...Array.from({ length: 12 }, (_, i) => `${i + 1},${i % 5 === 0 ? 'C' : 'T'},230614,0730${String(i).padStart(2, '0')}`)]);
    expect(r.file_format.entity_id).toBeUndefined();
  });

  it('keeps a time column with one "not-a-time" and does not offer it as the entity', () => {
    const r = rows([
      'id,time,lat,lon',
      'a,2023-06-14T07:30:00Z,48.8500,2.3500',
      'b,2023-06-14T07:30:05Z,48.8600,2.3600',
      'a,not-a-time,48.8501,2.3502',
      'b,2023-06-14T07:30:15Z,48.8602,2.3601',
      'a,2023-06-14T07:30:20Z,48.8503,2.3503',
      'b,2023-06-14T07:30:25Z,48.8603,2.3604',
    ]);
    expect(r.file_format.timestamp).toBe(1);
    expect(r.file_format.entity_id).toBe(0);
    expect(r.candidates.entity_id!.map((c) => c.column)).not.toContain(1);
    expect(r.warnings.join('\n')).toMatch(/83% of values are times; the others \("not-a-time"\)/);
  });
});

describe('traps', () => {
  it('does not take a heading column for a longitude', () => {
    const csv = 'id,time,heading,lat,lon\n' + Array.from({ length: 20 }, (_, i) => `a,${1700000000000 + i * 1000},${(i * 37) % 360},${48.85 + i * 1e-4},${2.35 + i * 1e-4}`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.file_format).toMatchObject({ latitude: 3, longitude: 4 });
  });

  it('explains projected coordinates instead of mapping them', () => {
    const csv = 'id,time,x,y\n' + Array.from({ length: 20 }, (_, i) => `a,${1700000000000 + i * 1000},${530000 + i},${180000 + i}`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.missing).toEqual(['longitude', 'latitude']);
    expect(r.warnings.join('\n')).toMatch(/projected coordinates .* reproject/);
  });

  it('explains degrees-minutes-seconds and hemisphere letters instead of mapping them', () => {
    const csv = 'boat,time,lat,lon\n' + Array.from({ length: 12 }, (_, i) => `B${i % 3},2023-06-14T07:${10 + i}:00Z,48°51'${10 + i}.2"N,2°21'0${i % 10}.5"W`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.missing).toEqual(expect.arrayContaining(['longitude', 'latitude']));
    expect(r.warnings.join('\n')).toMatch(/hemisphere letter instead of a sign .*signed decimal degrees/);
  });

  it('explains a WKT column', () => {
    const csv = 'id,time,geom\n' + Array.from({ length: 10 }, (_, i) => `a,${1700000000000 + i},"POINT(2.35 48.8${i})"`).join('\n');
    expect(inferCsvFormat(sampleFromText(csv)).warnings.join('\n')).toMatch(/holds both coordinates in one value \(WKT POINT/);
  });

  it('says why there is no entity when a code is shared by every row', () => {
    const csv = 'Date/Time,Lat,Lon,Base\n' + Array.from({ length: 20 }, (_, i) => `4/1/2014 0:${String(i).padStart(2, '0')}:00,40.7${i},-73.9${i},B02512`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.missing).toEqual(['entity_id']);
    expect(r.warnings.join('\n')).toMatch(/Could not find entity_id: No column identifies the moving objects/);
  });

  it('reports values a dataset would reject', () => {
    const csv = 'id,time,lat,lon,age\n' + Array.from({ length: 20 }, (_, i) => `a,${1700000000000 + i},48.8${i},2.3${i},${i === 3 ? -4 : 30 + i}`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv), { metadataSchema: { age: { type: 'number', signed: false, nullable: true } } });
    expect(r.file_format.age).toBe(4);
    expect(r.warnings.join('\n')).toMatch(/"age".*95% of values fit its type \(number\); the others will be invalid rows/);
  });
});

describe('hostile input gets a clear error', () => {
  const cases: [string, string, RegExp][] = [
    ['random bytes', decode(Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919 + 13) % 256))).text, /does not look like text/],
    ['a 3 MB line', 'a,'.repeat(1_500_000), /columns; a trajectory file has far fewer/],
    ['a quote storm', '"'.repeat(1_000_000), /single column/],
    ['empty input', '', /has no rows/],
    ['NUL bytes', '\0'.repeat(70_000), /does not look like text/],
    ['a JSON document', JSON.stringify({ vehicles: Array.from({ length: 20 }, (_, i) => ({ id: `v${i}`, lat: 48.85 + i / 1000, lon: 2.35, t: 1700000000 + i })) }, null, 1), /looks like JSON/],
    ['JSON lines', Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: 'v1', lat: 48.85 + i / 1000, lon: 2.35, t: 1700000000 + i })).join('\n'), /looks like JSON/],
    [
      'a fixed-width table with empty cells',
      ['STATION  DATE        LAT      LON      TEMP', 'A1       2023-06-14  48.8500  2.3500   12.1', 'A1       2023-06-14  48.8510           12.3', 'B2                   48.8600  2.3600', 'B2       2023-06-15           2.3610   11.0', 'C3       2023-06-15  48.8700'].join('\n'),
      /fixed-width text table/,
    ],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    // A hang would be a call that never ends: the test's own timeout catches it; speed is in the bench.
    expect(() => inferCsvFormat(sampleFromText(text, 4 * 1024 * 1024))).toThrow(message);
  });
});
