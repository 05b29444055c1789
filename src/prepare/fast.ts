/**
 * The converter's inner loop without a string per value: numbers and date-times are read straight
 * from the character codes of the record's text (csv/records.ts RecordView), and the output is
 * written as bytes into one reusable buffer.
 *
 * Every fast reader here accepts a subset of what its exact twin accepts (times.ts, coords.ts) and
 * gives the same value; whatever it is not sure of, it leaves to the twin (NaN = "ask the exact
 * reader"). A property test holds them to that (test/unit/fast-parse.test.ts).
 */

/** Output bytes of the converted rows; `take()` hands the filled part over and starts a new buffer. */
export class OutBuf {
  buf: Buffer;
  pos = 0;

  constructor(readonly size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** s[a, b) as UTF-8. */
  text(s: string, a: number, b: number): void {
    this.ensure((b - a) * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) buf[p++] = c;
      else {
        p += buf.write(s.slice(i, b), p, 'utf8');
        break;
      }
    }
    this.pos = p;
  }

  /** A whole string as UTF-8. */
  str(s: string): void {
    this.text(s, 0, s.length);
  }

  /** An integer (|n| < 2^53) in decimal. */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) return this.str(String(n));
    this.ensure(17);
    const buf = this.buf;
    if (n < 0) {
      buf[this.pos++] = 45;
      n = -n;
    }
    if (n < 10) {
      buf[this.pos++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (n >= 1) {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + (n - q * 10);
      n = q;
    }
  }

  /** The bytes so far (the buffer is handed over: a new one takes its place). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.size);
    this.pos = 0;
    return out;
  }
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * A plain decimal `[+-]digits[.digits]` (a decimal comma when `comma`) in s[a, b) -> its value, the
 * same double Number() gives (an exact integer of at most 15 digits divided by an exact power of
 * ten is correctly rounded); NaN when it is not that simple (exponents, long mantissas, not a number).
 */
export function fastDecimal(s: string, a: number, b: number, comma: boolean): number {
  let i = a;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (i < b && (c0 === 45 || c0 === 43)) {
    neg = c0 === 45;
    i++;
  }
  let m = 0;
  let intDigits = 0;
  let fracDigits = 0;
  let sep = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (sep === 0) intDigits++;
      else fracDigits++;
    } else if (sep === 0 && (c === 46 || (comma && c === 44))) sep = c;
    else return NaN;
  }
  const digits = intDigits + fracDigits;
  if (digits === 0 || digits > 15) return NaN;
  // A decimal comma needs digits on both sides ("5," and ",5" are not numbers); a point does not.
  if (sep === 44 && (intDigits === 0 || fracDigits === 0)) return NaN;
  const x = fracDigits > 0 ? m / POW10[fracDigits]! : m;
  return neg ? -x : x;
}

/** Whether s[a, b) holds a comma (a decimal comma to write as a point). */
export function hasComma(s: string, a: number, b: number): number {
  for (let i = a; i < b; i++) if (s.charCodeAt(i) === 44) return i;
  return -1;
}

/** Whether s[a, b) must be quoted in the importer's CSV (a comma, a quote or a line break). */
export function needsQuotes(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return true;
  }
  return false;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (no Date object, no allocation). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** The offset a value carried (ms), or NaN when it carried none; set by the fast time readers. */
export let fastOffset = NaN;

/** Reads the digits s[i, i+n) (all digits, within b) or -1. */
function digitsAt(s: string, i: number, n: number, b: number): number {
  if (i + n > b) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** hh:mm[:ss[.fff]] at s[i..b) -> ms of the day (todEnd: where it ends); -1 when not simple. */
let todEnd = 0;
function timeOfDay(s: string, i: number, b: number): number {
  // hours: 1 or 2 digits
  let h = s.charCodeAt(i) - 48;
  if (h < 0 || h > 9) return -1;
  i++;
  if (i < b && isDigit(s.charCodeAt(i))) {
    h = h * 10 + s.charCodeAt(i) - 48;
    i++;
  }
  if (i >= b || s.charCodeAt(i) !== 58) return -1;
  const mi = digitsAt(s, i + 1, 2, b);
  if (mi < 0) return -1;
  i += 3;
  let sec = 0;
  let ms = 0;
  if (i < b && s.charCodeAt(i) === 58) {
    sec = digitsAt(s, i + 1, 2, b);
    if (sec < 0) return -1;
    i += 3;
    if (i < b && (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) && i + 1 < b && isDigit(s.charCodeAt(i + 1))) {
      i++;
      let n = 0;
      let f = 0;
      while (i < b && isDigit(s.charCodeAt(i))) {
        if (n < 3) f = f * 10 + s.charCodeAt(i) - 48;
        n++;
        i++;
      }
      // More than 6 digits: the exact reader's rounding decides.
      if (n > 6) return -1;
      for (; n < 3; n++) f *= 10;
      ms = f;
    }
  }
  if (h > 24 || mi > 59 || sec > 60) return -1;
  todEnd = i;
  return ((h * 60 + mi) * 60 + sec) * 1000 + ms;
}

/** Z or ±hh[[:]mm] at s[i..b), to the end; sets fastOffset; false when not that. `z`: a lower-case z too. */
function offsetTo(s: string, i: number, b: number, z: boolean): boolean {
  while (i < b && s.charCodeAt(i) === 32) i++;
  if (i === b) {
    fastOffset = NaN;
    return true;
  }
  const c = s.charCodeAt(i);
  if ((c === 90 || (z && c === 122)) && i + 1 === b) {
    fastOffset = 0;
    return true;
  }
  if (c !== 43 && c !== 45) return false;
  const hh = digitsAt(s, i + 1, 2, b);
  if (hh < 0) return false;
  let j = i + 3;
  let mm = 0;
  if (j < b) {
    if (s.charCodeAt(j) === 58) j++;
    mm = digitsAt(s, j, 2, b);
    if (mm < 0 || j + 2 !== b) return false;
  }
  fastOffset = (c === 45 ? -1 : 1) * (hh * 60 + mm) * 60_000;
  return true;
}

function wallOf(y: number, mo: number, d: number, tod: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || y < 100) return NaN;
  return daysFromCivil(y, mo, d) * 86_400_000 + tod;
}

/** One or two digits at s[i]; sets `numEnd`. */
let numEnd = 0;
function oneOrTwo(s: string, i: number, b: number): number {
  const a = s.charCodeAt(i) - 48;
  if (i >= b || a < 0 || a > 9) return -1;
  const c = i + 1 < b ? s.charCodeAt(i + 1) - 48 : -1;
  if (c >= 0 && c <= 9) {
    numEnd = i + 2;
    return a * 10 + c;
  }
  numEnd = i + 1;
  return a;
}

/**
 * ISO 8601 as times.ts reads it (`2024-01-01T00:00:09.5Z`, `2024-01-01 00:00`, `2024/1/1`) in s[a, b)
 * -> the wall time as if UTC (fastOffset: the offset it carries, or NaN); NaN: ask the exact reader.
 */
export function fastIso(s: string, a: number, b: number): number {
  const y = digitsAt(s, a, 4, b);
  if (y < 0 || a + 4 >= b) return NaN;
  let i = a + 4;
  let c = s.charCodeAt(i);
  if (c !== 45 && c !== 47) return NaN;
  const mo = oneOrTwo(s, i + 1, b);
  if (mo < 0) return NaN;
  i = numEnd;
  c = s.charCodeAt(i);
  if (i >= b || (c !== 45 && c !== 47)) return NaN;
  const d = oneOrTwo(s, i + 1, b);
  if (d < 0) return NaN;
  i = numEnd;
  let tod = 0;
  c = s.charCodeAt(i);
  if (i < b && (c === 84 || c === 116 || c === 32)) {
    let j = i + 1;
    while (j < b && (s.charCodeAt(j) === 84 || s.charCodeAt(j) === 116 || s.charCodeAt(j) === 32)) j++;
    if (j < b && isDigit(s.charCodeAt(j))) {
      tod = timeOfDay(s, j, b);
      if (tod < 0) return NaN;
      i = todEnd;
    }
  }
  if (!offsetTo(s, i, b, true)) return NaN;
  return wallOf(y, mo, d, tod);
}

/**
 * US (month/day/year) or European (day/month/year) date-times as times.ts reads them
 * (`1/1/2016 00:00:41`, `31.12.2023 23:59`, `3/4/16 2:05 PM`) -> wall time as if UTC; NaN: ask the exact reader.
 */
export function fastDmy(s: string, a: number, b: number, us: boolean): number {
  const p = oneOrTwo(s, a, b);
  if (p < 0) return NaN;
  let i = numEnd;
  let c = s.charCodeAt(i);
  if (i >= b || (c !== 47 && c !== 46 && c !== 45)) return NaN;
  const q = oneOrTwo(s, i + 1, b);
  if (q < 0) return NaN;
  i = numEnd;
  c = s.charCodeAt(i);
  if (i >= b || (c !== 47 && c !== 46 && c !== 45)) return NaN;
  i++;
  let n = 0;
  while (i + n < b && isDigit(s.charCodeAt(i + n))) n++;
  if (n !== 2 && n !== 4) return NaN;
  let y = digitsAt(s, i, n, b);
  if (n === 2) y += y < 70 ? 2000 : 1900;
  i += n;
  let tod = 0;
  if (i < b && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 84)) {
    let j = i + 1;
    while (j < b && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 84)) j++;
    if (j < b && isDigit(s.charCodeAt(j))) {
      const t = timeOfDay(s, j, b);
      if (t < 0) return NaN;
      i = todEnd;
      tod = t;
      let k = i;
      while (k < b && s.charCodeAt(k) === 32) k++;
      const a0 = s.charCodeAt(k);
      if (k + 1 < b && (a0 === 65 || a0 === 97 || a0 === 80 || a0 === 112) && (s.charCodeAt(k + 1) === 77 || s.charCodeAt(k + 1) === 109)) {
        // 12-hour clock: 12 AM is 0 h, 12 PM is 12 h.
        const h = Math.floor(tod / 3_600_000);
        if (h > 12) return NaN;
        const pm = a0 === 80 || a0 === 112;
        const h24 = h === 12 ? (pm ? 12 : 0) : pm ? h + 12 : h;
        tod += (h24 - h) * 3_600_000;
        i = k + 2;
      }
    }
  }
  if (!offsetTo(s, i, b, false)) return NaN;
  return us ? wallOf(y, p, q, tod) : wallOf(y, q, p, tod);
}

/** A plain integer of at most 15 digits in s[a, b) (a leading + only when `plus`), or NaN. */
export function fastInt(s: string, a: number, b: number, plus = true): number {
  let i = a;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (c0 === 45 || (plus && c0 === 43)) {
    neg = c0 === 45;
    i++;
  }
  if (i === b || b - i > 15) return NaN;
  let v = 0;
  for (; i < b; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}
