// The converter's allocation-free readers (src/prepare/fast.ts) against their exact twins
// (times.ts, coords.ts): wherever a fast reader answers, it gives the exact reader's value.
import { describe, expect, it } from 'vitest';
import { fastDecimal, fastInt, OutBuf } from '../../src/prepare/fast.js';
import { compileTime, compileTimeAt, type TimeFormat } from '../../src/prepare/times.js';
import { parseDecimal } from '../../src/prepare/coords.js';

// A small deterministic generator (no Math.random: failures must be reproducible).
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');

/** Mostly well-formed date-times of the format, with a share of odd parts. */
function timeLike(r: () => number, format: TimeFormat): string {
  const odd = r() < 0.3;
  const o = <T,>(good: readonly T[], bad: readonly T[]): T => pick(r, odd && r() < 0.3 ? bad : good);
  const year = o(['2016', '1999', '2037', '1970'], ['2', '20', '0099', '2038', digits(r, 4), '16']);
  const month = o(['1', '01', '12', '2', '03', '11'], ['13', '0', '00', digits(r, 2)]);
  const day = o(['1', '01', '28', '29', '30', '31', '15'], ['32', '0', '2016', digits(r, 1)]);
  const sep = o(format === 'iso8601' ? ['-', '/'] : ['/', '.', '-'], ['', ':', ' ']);
  const date = format === 'iso8601' ? `${year}${sep}${month}${sep}${day}` : format === 'us' ? `${month}${sep}${day}${sep}${r() < 0.5 ? year : year.slice(-2)}` : `${day}${sep}${month}${sep}${r() < 0.5 ? year : year.slice(-2)}`;
  if (r() < 0.1) return date + o([''], ['Z', ' ', '+02:00']);
  const hour = o(['0', '00', '09', '12', '23', '7'], ['24', '25', '123', '']);
  const rest = o([':00', ':59', ':30:15', ':05:59.5', ':00:00,123', ':01:01.999999', ':01:60'], [':5', ':61', ':01:01.9999999999', ':01:01.', ':01:1', '']);
  const ampm = format === 'iso8601' ? '' : o(['', '', ' AM', ' PM', 'pm'], [' am', ' XM', 'P']);
  const zone = o(['', '', 'Z', '+02:00', '-0530', '+01', ' -03:00'], ['z', ' UTC', 'GMT', '+2', '+02:0', '\t']);
  return `${date}${o(format === 'iso8601' ? ['T', ' '] : [' ', 'T'], ['t', '  ', 'T ', ''])}${hour}${rest}${ampm}${zone}`;
}

describe('fast readers agree with the exact ones', () => {
  for (const format of ['iso8601', 'us', 'european', 'epoch_ms', 'epoch_s'] as TimeFormat[]) {
    for (const time_zone of ['UTC', 'America/New_York', '+05:30']) {
      it(`${format} in ${time_zone}`, () => {
        const exact = compileTime({ format, time_zone }, false);
        const fast = compileTimeAt({ format, time_zone }, false)!;
        const r = rng(format.length * 31 + time_zone.length);
        let answered = 0;
        for (let k = 0; k < 30_000; k++) {
          const v = format.startsWith('epoch') ? pick(r, ['', '-', '+']) + digits(r, 1 + Math.floor(r() * 17)) + pick(r, ['', '', '.5', 'x']) : timeLike(r, format);
          // In a longer text, as the reader views it: the fast reader must not read past its field.
          const text = `9${v}12:34:56`;
          const got = fast(text, 1, 1 + v.length);
          if (Number.isNaN(got)) continue;
          answered++;
          expect({ v, got }).toEqual({ v, got: exact(v) });
        }
        expect(answered).toBeGreaterThan(3_000);
      });
    }
  }

  it('decimals and integers', () => {
    const r = rng(7);
    let answered = 0;
    for (let k = 0; k < 50_000; k++) {
      const v = pick(r, ['', '-', '+']) + digits(r, Math.floor(r() * 9)) + pick(r, ['', '.', ',', 'e5', '..']) + digits(r, Math.floor(r() * 9)) + pick(r, ['', '', 'x', ' ']);
      const text = `7${v}5`;
      for (const comma of [false, true]) {
        const got = fastDecimal(text, 1, 1 + v.length, comma);
        if (Number.isNaN(got)) continue;
        answered++;
        expect({ v, comma, got: Object.is(got, -0) ? 0 : got }).toEqual({ v, comma, got: Object.is(parseDecimal(v, comma), -0) ? 0 : parseDecimal(v, comma) });
      }
      const i = fastInt(text, 1, 1 + v.length);
      if (!Number.isNaN(i)) expect(i).toBe(Number(v));
    }
    expect(answered).toBeGreaterThan(1000);
  });

  it('writes integers and UTF-8 text as String() and Buffer do', () => {
    const o = new OutBuf(8);
    const ints = [0, -0, 7, 10, -1, 99, 100, 1704067200000, -2147483648, 4294967295, 2 ** 53 + 2];
    for (const n of ints) {
      o.int(n);
      o.byte(44);
    }
    o.str('naïve 😀 ok');
    expect(o.buf.toString('utf8', 0, o.pos)).toBe(`${ints.map((n) => String(n)).join(',')},naïve 😀 ok`);
  });
});
