// Stable codes: what callers branch on comes as a code beside the words (issue 12).
import { describe, expect, it } from 'vitest';
import { inferCsvFormat } from '../../src/csv/infer.js';
import { sampleFromText } from '../../src/csv/sample.js';
import { compileRowValidator } from '../../src/csv/validate.js';
import { summariseRejections } from '../../src/import/rejections.js';
import { RejectionTally } from '../../src/rules/rejection-tally.js';
import { UserFacingError } from '../../src/errors.js';
import { errorResult } from '../../src/tools/tool.js';
import { GUIDE_SCHEMA, GUIDE_WIRE_FORMAT } from '../helpers/paths.js';

const GUIDE_ROW = 'aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,51.54191120617028,-0.1136967540230455,,,,0,,dwelling';

describe('infer warning codes', () => {
  it('ambiguous_coordinates when both columns fit either range and no header names them', () => {
    const r = inferCsvFormat(sampleFromText(`${GUIDE_ROW}\n${GUIDE_ROW.replace('1640995676000', '1640995700000')}\n`), { metadataSchema: GUIDE_SCHEMA });
    expect(r.warningCodes).toContain('ambiguous_coordinates');
    expect(r.warnings.some((w) => /both fit the latitude and the longitude range/.test(w))).toBe(true);
  });

  it('none when a header names the coordinates, and none when the header names neither (not mapped)', () => {
    const named = inferCsvFormat(sampleFromText('vehicle_id,lat,lon,time\nbus-1,48.85,2.35,1700000000000\nbus-2,48.86,2.36,1700000005000\n'));
    expect(named.warningCodes).toEqual([]);
    const unnamed = inferCsvFormat(sampleFromText('id,t,temp_a,temp_b\nx,1700000000000,21.5,22.1\nx,1700000005000,21.7,22.4\ny,1700000009000,20.9,21.8\n'));
    expect(unnamed.file_format.latitude).toBeUndefined();
    expect(unnamed.warningCodes).not.toContain('ambiguous_coordinates');
    expect(unnamed.warnings.join('\n')).not.toMatch(/both fit the latitude and the longitude range/);
  });

  it('zoneless_time for date-times without a time zone', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `b${i % 2},2024-05-01 08:${String(10 + i).padStart(2, '0')}:00,${(45.7 + i * 1e-3).toFixed(5)},${(4.8 + i * 1e-3).toFixed(5)}`);
    const r = inferCsvFormat(sampleFromText(['boat,time,latitude,longitude', ...rows].join('\n')));
    expect(r.warningCodes).toEqual(['zoneless_time']);
  });
});

describe('row problem codes reach the sandbox tally without reading words', () => {
  it('a header line on line 1, a refused enum value, too few columns', () => {
    const v = compileRowValidator(GUIDE_WIRE_FORMAT, GUIDE_SCHEMA);
    const tally = new RejectionTally();
    tally.add('a.csv', 1, v.validate('id,time,lat,lon,ipv4,age,home,route,card,mode'.split(','))!);
    tally.add('a.csv', 2, v.validate(GUIDE_ROW.replace('dwelling', 'flying').split(','))!);
    tally.add('a.csv', 3, v.validate(['x', '1'])!);
    const s = summariseRejections(tally.render().join('\n'), 3);
    expect(s.exact).toBe(true);
    expect(s.causes.map((c) => c.code).sort()).toEqual(['header_line', 'not_in_enum', 'too_few_columns']);
    expect(s.causes.find((c) => c.code === 'not_in_enum')).toMatchObject({ field: 'transportation_mode', column: 9, values: [{ value: 'flying', count: 1 }] });
  });
});

describe('error results', () => {
  it('carry the error code beside the words', () => {
    const r = errorResult(new UserFacingError('not_confirmed', 'No dry run matches.', { hint: 'Run a dry run.', status: 409 }), 'put_batch');
    expect(r.content[0]).toMatchObject({ type: 'text', text: 'put_batch failed (not_confirmed, HTTP 409): No dry run matches.\nHow to fix: Run a dry run.' });
  });
});
