import { describe, expect, it } from 'vitest';
import { compileRowValidator } from '../../src/csv/validate.js';
import type { MetadataSchema } from '../../src/dfi/schemas.js';
import { GUIDE_SCHEMA } from '../helpers/paths.js';

const schema: MetadataSchema = { ...GUIDE_SCHEMA, delta: { type: 'number', nullable: true, signed: true } };
const format = { entityId: 0, timestamp: 1, longitude: 2, latitude: 3, ipv4: 4, age: 5, home_ipv4: 6, route_id: 7, credit_card_provider: 8, transportation_mode: 9, delta: 10 };
const v = compileRowValidator(format, schema);
const GUIDE_ROW = 'aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,51.54191120617028,-0.1136967540230455,,,,0,,dwelling,';
const row = (changes: Record<number, string>) => {
  const r = GUIDE_ROW.split(',');
  for (const [i, val] of Object.entries(changes)) r[Number(i)] = val;
  return r;
};

describe('row validator', () => {
  it("accepts the user guide's sample row", () => {
    expect(v.validate(GUIDE_ROW.split(','))).toBeNull();
  });

  it.each([
    [{ 0: '' }, /entityId \(column 0\) is empty/, 'empty_value'],
    [{ 1: '1640995676.5' }, /timestamp .* not epoch milliseconds/, 'not_epoch_ms'],
    [{ 1: '2147483648000' }, /outside 1970-01-01..2038-01-19/, 'time_out_of_range'],
    [{ 2: '180.0001' }, /longitude .* outside -180..180/, 'out_of_range'],
    [{ 3: '-90.5' }, /latitude .* outside -90..90/, 'out_of_range'],
    [{ 3: 'north' }, /latitude .* not a number/, 'not_a_number'],
    [{ 4: '256.1.1.1' }, /ipv4 \(column 4\) .* not an IPv4 address/, 'not_ipv4'],
    [{ 4: '01.2.3.4' }, /not an IPv4 address/, 'not_ipv4'],
    [{ 5: '-1' }, /age .* unsigned 32-bit/, 'out_of_range'],
    [{ 5: '4294967296' }, /outside the range of an unsigned 32-bit integer/, 'out_of_range'],
    [{ 5: '3.5' }, /not an unsigned 32-bit integer/, 'not_an_integer'],
    [{ 7: '' }, /route_id .* empty but the property is not nullable/, 'empty_value'],
    [{ 8: 'amex' }, /credit_card_provider .* not one of the enum's values/, 'not_in_enum'],
    [{ 9: '' }, /transportation_mode .* not nullable/, 'empty_value'],
    [{ 10: '2147483648' }, /delta .* signed 32-bit/, 'out_of_range'],
  ])('rejects %o with a reason and its code', (changes, reason, code) => {
    const why = v.validate(row(changes));
    expect(why?.text).toMatch(reason);
    expect(why?.code).toBe(code);
    const column = Number(Object.keys(changes)[0]);
    expect(why?.column).toBe(column);
  });

  it('quotes the refused value, cut at 40 characters', () => {
    expect(v.validate(row({ 8: 'amex' }))).toMatchObject({ field: 'credit_card_provider', value: 'amex', text: 'credit_card_provider (column 8) "amex" is not one of the enum\'s values' });
    expect(v.validate(row({ 3: 'n'.repeat(50) }))?.value).toBe(`${'n'.repeat(40)}…`);
  });

  it('accepts the bounds themselves', () => {
    expect(v.validate(row({ 1: '0', 2: '-180', 3: '90', 5: '4294967295', 10: '-2147483648', 4: '255.255.255.255' }))).toBeNull();
    expect(v.validate(row({ 1: '2147483647999', 2: '180', 3: '-90', 5: '0' }))).toBeNull();
  });

  it('rejects a row narrower than the format', () => {
    expect(v.width).toBe(11);
    expect(v.validate(['a', '1640995676000', '1', '2'])).toMatchObject({ code: 'too_few_columns', text: expect.stringMatching(/has 4 columns but the format maps column 10/) });
  });

  it('accepts values of an unknown property type as they are', () => {
    const lenient = compileRowValidator({ entityId: 0, timestamp: 1, longitude: 2, latitude: 3, geo: 4 }, { geo: { type: 'geohash' } });
    expect(lenient.validate(['a', '1', '0', '0', 'anything'])).toBeNull();
  });
});
