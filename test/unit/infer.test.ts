import { describe, expect, it } from 'vitest';
import { inferCsvFormat } from '../../src/csv/infer.js';
import { sampleFromText } from '../../src/csv/sample.js';
import { GUIDE_FORMAT, GUIDE_SCHEMA } from '../helpers/paths.js';

const GUIDE_SAMPLE = `aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,51.54191120617028,-0.1136967540230455,,,,0,,dwelling
aca5597c-8666-43bf-9c85-0b575ece58ed,1640995690000,51.54201796566859,-0.1135628381946958,,,,0,,dwelling
aca5597c-8666-43bf-9c85-0b575ece58ed,1640995694000,51.54185742565869,-0.1136623400329315,,,,0,,dwelling
aca5597c-8666-43bf-9c85-0b575ece58ed,1640995697000,51.542017930249976,-0.1135929190644742,,,,0,,dwelling
aca5597c-8666-43bf-9c85-0b575ece58ed,1640995700000,51.54181738011452,-0.1136776509308499,,,,0,,dwelling
`;

describe('infer_csv_format engine', () => {
  it("maps the user guide's sample to the plausible reading (London), and states the ambiguity", () => {
    const r = inferCsvFormat(sampleFromText(GUIDE_SAMPLE), { metadataSchema: GUIDE_SCHEMA });
    // The guide maps column 2 to longitude, which puts the points in the Indian Ocean; read as
    // latitude 51.54, longitude -0.11 they are in London. Both fit: say so, never hide it.
    expect(r.file_format).toEqual({ ...GUIDE_FORMAT, latitude: 2, longitude: 3 });
    expect(r.missing).toEqual([]);
    expect(r.dialect).toMatchObject({ delimiter: ',', hasHeader: false });
    const ambiguity = r.warnings.find((w) => w.startsWith('Ambiguous coordinates'));
    expect(ambiguity).toMatch(/columns 2 and 3/);
    expect(ambiguity).toMatch(/latitude 51.54191120617028, longitude -0.1136967540230455 \(the other reading: latitude -0.1136967540230455, longitude 51.54191120617028\)/);
    expect(ambiguity).toMatch(/swap latitude and longitude/);
    expect(r.columns[2]!.confidence).toBeLessThan(0.7);
    expect(r.columns[1]!.evidence.join(' ')).toMatch(/epoch milliseconds.*2022-01-01T/);
  });

  it('uses header names, prefers them over order, and warns that the platform has no header option', () => {
    const csv = 'vehicle_id,lat,lon,time\nbus-1,48.85,2.35,1700000000000\nbus-1,48.86,2.36,1700000005000\nbus-2,48.87,2.30,1700000009000\n';
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.file_format).toEqual({ entity_id: 0, latitude: 1, longitude: 2, timestamp: 3 });
    expect(r.dialect.hasHeader).toBe(true);
    expect(r.warnings.join('\n')).toMatch(/has no header option/);
    expect(r.warnings.join('\n')).not.toMatch(/Ambiguous/);
  });

  it('tells a longitude from a latitude when values go beyond ±90', () => {
    const csv = 'a,1700000000000,-122.41,37.77\na,1700000001000,-122.42,37.78\nb,1700000002000,-122.40,37.76\n';
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.file_format).toMatchObject({ longitude: 2, latitude: 3 });
    expect(r.warnings.join('\n')).not.toMatch(/Ambiguous/);
  });

  it('detects semicolons and says the platform reads commas only', () => {
    const csv = 'id;ts;lon;lat\na;1700000000000;2,35;48,85\n'.replace(/2,35;48,85/, '2.35;48.85') + 'a;1700000001000;2.36;48.86\n';
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.dialect.delimiter).toBe(';');
    expect(r.warnings.join('\n')).toMatch(/reads commas/);
  });

  it('flags epoch seconds and lists what it could not find', () => {
    const r = inferCsvFormat(sampleFromText('x,1700000000\nx,1700000100\ny,1700000200\n'));
    expect(r.file_format.timestamp).toBe(1);
    expect(r.warnings.join('\n')).toMatch(/epoch seconds: multiply by 1000/);
    expect(r.missing).toEqual(['longitude', 'latitude']);
  });

  it('suggests a metadataSchema for columns the dataset does not have', () => {
    // A category repeats across objects and rows; the names of the few objects sampled do not make an enum.
    const csv = Array.from({ length: 12 }, (_, i) => `e${i % 3},${1700000000000 + i * 1000},${(2.3 + (i % 3) * 0.4 + i * 1e-4).toFixed(4)},${(48.8 + (i % 3) * 0.3 + i * 1e-4).toFixed(4)},${['bus', 'tram'][i % 2]},${17 + i},${['Anna', 'Ben', 'Cleo'][i % 3]}`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv));
    expect(r.suggestedMetadataSchema.column_4).toEqual({ type: 'enum', nullable: false, values: ['bus', 'tram'] });
    expect(r.suggestedMetadataSchema.column_5).toEqual({ type: 'number', nullable: false, signed: false });
    expect(r.suggestedMetadataSchema.column_6).toBeUndefined();
  });

  it('skips a units row, says a local time needs a time zone, and lists candidates', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `b${i % 2},2024-05-01 08:${String(10 + i).padStart(2, '0')}:00,${(45.7 + (i % 2) * 0.2 + i * 1e-4).toFixed(5)},${(4.8 + (i % 2) * 0.2 + i * 1e-4).toFixed(5)}`);
    const r = inferCsvFormat(sampleFromText(['boat,time,latitude,longitude', ',local,degrees_north,degrees_east', ...rows].join('\n')));
    expect(r.file_format).toEqual({ entity_id: 0, timestamp: 1, latitude: 2, longitude: 3 });
    expect(r.warnings.join('\n')).toMatch(/Line 2 under the header holds units/);
    expect(r.warnings.join('\n')).toMatch(/without a time zone .* ask the person which time zone/);
    expect(r.columns[1]!.confidence).toBeLessThanOrEqual(0.8);
    expect(r.candidates.entity_id![0]).toMatchObject({ column: 0, name: 'boat' });
  });

  it('matches properties across case and spelling, and never maps a column none of whose values fit', () => {
    const csv = 'mmsi,time,lat,lon,VesselType,Status\n' + Array.from({ length: 10 }, (_, i) => `2190${i % 2},${1700000000000 + i * 1000},55.${i}1,12.${i}2,70,under way`).join('\n');
    const r = inferCsvFormat(sampleFromText(csv), { metadataSchema: { vessel_type: { type: 'number', signed: false }, nav_status: { type: 'number', signed: false } } });
    expect(r.file_format.vessel_type).toBe(4);
    expect(r.file_format.nav_status).toBeUndefined();
    expect(r.warnings.join('\n')).toMatch(/"Status"\) is named like property "nav_status", but none of its values fit/);
    expect(r.suggestedMetadataSchema.vessel_type).toBeUndefined();
  });

  it('cuts a long sample at the last complete row and says so', () => {
    const s = sampleFromText(GUIDE_SAMPLE.repeat(50), 1024);
    expect(s.truncated).toBe(true);
    expect(s.text.endsWith('\n')).toBe(true);
    expect(s.text.length).toBeLessThanOrEqual(1024);
    expect(inferCsvFormat(s).warnings.join('\n')).toMatch(/Only the first 1024 bytes/);
  });
});
