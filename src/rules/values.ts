/**
 * What the platform accepts in a value: core fields (timestamp, coordinates, ...) and dataset
 * properties (32-bit numbers, IPv4 addresses, enums). The row validator (csv/validate.ts), inference
 * (csv/infer.ts) and the preflight all ask here.
 */
import type { MetadataProperty } from '../dfi/schemas.js';

/** Upper bound of timestamps the platform accepts: 2038-01-19T03:14:07Z, in epoch milliseconds. */
export const MAX_TIMESTAMP_MS = 2_147_483_647_999;
export const INT32 = { min: -2_147_483_648, max: 2_147_483_647 } as const;
export const UINT32 = { min: 0, max: 4_294_967_295 } as const;

const INT_RE = /^[+-]?\d+$/;
/** Linear (a 65,000-digit value made an older pattern quadratic), and length-capped: no number is 100 characters long. */
const DECIMAL_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_RE = { test: (v: string) => v.length <= 100 && DECIMAL_PATTERN.test(v) };
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isInteger(v: string): boolean {
  return INT_RE.test(v);
}
/** A decimal number as CSV writes it: `12`, `-0.5`, `.5`, `1e-3` (no thousands separators, no comma). */
export function isDecimal(v: string): boolean {
  return DECIMAL_RE.test(v);
}
export function isIPv4(v: string): boolean {
  return IPV4_RE.test(v);
}

/** The range of a `number` property: 32-bit, signed unless `signed` is false. */
export function numberRange(prop: { signed?: boolean | undefined }): { min: number; max: number; kind: string } {
  return prop.signed === false ? { ...UINT32, kind: 'an unsigned 32-bit integer' } : { ...INT32, kind: 'a signed 32-bit integer' };
}

/** Stable codes of what can be wrong with a value (branch on these, never on the text). */
export type ValueProblemCode = 'not_epoch_ms' | 'time_out_of_range' | 'not_a_number' | 'out_of_range' | 'not_an_integer' | 'not_ipv4' | 'not_in_enum' | 'empty_value';

/** Why a value is refused: a code, the words (without the field name), and the value as quoted (cut at 40 characters). */
export interface ValueProblem {
  code: ValueProblemCode;
  text: string;
  value?: string;
}

/** Returns null when the value is fine, otherwise why not. */
export type ValueCheck = (value: string) => ValueProblem | null;

const cut = (v: string) => (v.length > 40 ? `${v.slice(0, 40)}…` : v);
/** A problem with the value quoted at the start of its text: `"x" is not a number`. */
const refused = (code: ValueProblemCode, v: string, why: string): ValueProblem => {
  const value = cut(v);
  return { code, text: `${JSON.stringify(value)} ${why}`, value };
};

function rangeCheck(min: number, max: number, what: string): ValueCheck {
  return (v) => {
    if (!DECIMAL_RE.test(v)) return refused('not_a_number', v, 'is not a number');
    const n = Number(v);
    return n >= min && n <= max ? null : refused('out_of_range', v, `is outside ${min}..${max} for ${what}`);
  };
}

/** The checks of the core fields, by wire name. */
export const CORE_VALUE_CHECKS: Readonly<Record<string, ValueCheck>> = {
  entityId: (v) => (v.length > 0 ? null : { code: 'empty_value', text: 'is empty (every row needs an entity id)' }),
  timestamp: (v) => {
    if (!INT_RE.test(v)) return refused('not_epoch_ms', v, 'is not epoch milliseconds (a whole number)');
    const n = Number(v);
    if (n < 0 || n > MAX_TIMESTAMP_MS) return refused('time_out_of_range', v, 'is outside 1970-01-01..2038-01-19 in epoch milliseconds');
    return null;
  },
  longitude: rangeCheck(-180, 180, 'a longitude'),
  latitude: rangeCheck(-90, 90, 'a latitude'),
  altitude: (v) => (v === '' || DECIMAL_RE.test(v) ? null : refused('not_a_number', v, 'is not a number')),
  metadataId: () => null,
};

/** The check of a value of a dataset property, empty values included. */
export function propertyValueCheck(prop: MetadataProperty): ValueCheck {
  const nullable = prop.nullable !== false;
  const inner = typeCheck(prop);
  return (v) => {
    if (v === '') return nullable ? null : { code: 'empty_value', text: 'is empty but the property is not nullable' };
    return inner(v);
  };
}

function typeCheck(prop: MetadataProperty): ValueCheck {
  switch (prop.type) {
    case 'number': {
      const { min, max, kind } = numberRange(prop);
      return (v) => {
        if (!INT_RE.test(v)) return refused('not_an_integer', v, `is not ${kind}`);
        const n = Number(v);
        return n >= min && n <= max ? null : refused('out_of_range', v, `is outside the range of ${kind} (${min}..${max})`);
      };
    }
    case 'ip':
      return (v) => (IPV4_RE.test(v) ? null : refused('not_ipv4', v, 'is not an IPv4 address'));
    case 'enum': {
      const values = new Set(prop.values ?? []);
      return (v) => (values.has(v) ? null : refused('not_in_enum', v, "is not one of the enum's values"));
    }
    default:
      // Unknown types are accepted as they are: their rules are not known here.
      return () => null;
  }
}

/** The narrowest `number` property that holds every integer from min to max, or null when none does. */
export function numberPropertyFor(min: number, max: number): { signed: boolean } | null {
  if (min >= UINT32.min && max <= UINT32.max) return { signed: false };
  if (min >= INT32.min && max <= INT32.max) return { signed: true };
  return null;
}
