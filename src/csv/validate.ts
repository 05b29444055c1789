/**
 * Row validation, exactly as the sandbox applies it (and as close to the platform as public material
 * allows; see README "Sandbox rules"). Used by the sandbox's job runner and by the local preflight.
 *
 * `compileRowValidator` turns a format and a metadataSchema into one function per mapped column, so
 * that validating a row is a handful of comparisons with no allocation on the happy path.
 */
import type { MetadataSchema, WireCsvFormat } from '../dfi/schemas.js';

/** Upper bound of timestamps the platform accepts: 2038-01-19T03:14:07Z, in epoch milliseconds. */
export const MAX_TIMESTAMP_MS = 2_147_483_647_999;
const INT_RE = /^[+-]?\d+$/;
/** Linear (a 65,000-digit value made the old pattern quadratic), and length-capped: no number is 100 characters long. */
const DECIMAL_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_RE = { test: (v: string) => v.length <= 100 && DECIMAL_PATTERN.test(v) };
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(v: string): boolean {
  return IPV4_RE.test(v);
}
export function isInteger(v: string): boolean {
  return INT_RE.test(v);
}

/** Returns null when the value is fine, otherwise why not (without the field name). */
type Check = (value: string) => string | null;

const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

function rangeCheck(min: number, max: number, what: string): Check {
  return (v) => {
    if (!DECIMAL_RE.test(v)) return `${show(v)} is not a number`;
    const n = Number(v);
    return n >= min && n <= max ? null : `${show(v)} is outside ${min}..${max} for ${what}`;
  };
}

const CORE_CHECKS: Record<string, Check> = {
  entityId: (v) => (v.length > 0 ? null : 'is empty (every row needs an entity id)'),
  timestamp: (v) => {
    if (!INT_RE.test(v)) return `${show(v)} is not epoch milliseconds (a whole number)`;
    const n = Number(v);
    if (n < 0 || n > MAX_TIMESTAMP_MS) return `${show(v)} is outside 1970-01-01..2038-01-19 in epoch milliseconds`;
    return null;
  },
  longitude: rangeCheck(-180, 180, 'a longitude'),
  latitude: rangeCheck(-90, 90, 'a latitude'),
  altitude: (v) => (v === '' || DECIMAL_RE.test(v) ? null : `${show(v)} is not a number`),
  metadataId: () => null,
};

function propertyCheck(prop: MetadataSchema[string]): Check {
  const nullable = prop.nullable !== false;
  const inner = typeCheck(prop);
  return (v) => {
    if (v === '') return nullable ? null : 'is empty but the property is not nullable';
    return inner(v);
  };
}

function typeCheck(prop: MetadataSchema[string]): Check {
  switch (prop.type) {
    case 'number': {
      const signed = prop.signed !== false;
      const [min, max] = signed ? [-2_147_483_648, 2_147_483_647] : [0, 4_294_967_295];
      const kind = signed ? 'a signed 32-bit integer' : 'an unsigned 32-bit integer';
      return (v) => {
        if (!INT_RE.test(v)) return `${show(v)} is not ${kind}`;
        const n = Number(v);
        return n >= min && n <= max ? null : `${show(v)} is outside the range of ${kind} (${min}..${max})`;
      };
    }
    case 'ip':
      return (v) => (IPV4_RE.test(v) ? null : `${show(v)} is not an IPv4 address`);
    case 'enum': {
      const values = new Set(prop.values ?? []);
      return (v) => (values.has(v) ? null : `${show(v)} is not one of the enum's values`);
    }
    default:
      // Unknown types are accepted as they are: the sandbox cannot know the platform's rules for them.
      return () => null;
  }
}

export interface RowValidator {
  /** The highest mapped column index + 1: rows narrower than this are invalid. */
  width: number;
  /** null when the row is valid, otherwise the first reason it is not. */
  validate(fields: readonly string[]): string | null;
}

/**
 * Builds the validator. Properties of the format that the schema does not know are reported by
 * `checkFormatAgainstSchema`, not here; here they are accepted.
 */
export function compileRowValidator(format: WireCsvFormat, schema: MetadataSchema): RowValidator {
  const entries: { index: number; label: string; check: Check }[] = [];
  for (const [field, index] of Object.entries(format)) {
    // Own properties only: a property named "constructor" or "__proto__" must not find Object's.
    const core = Object.hasOwn(CORE_CHECKS, field) ? CORE_CHECKS[field] : undefined;
    const prop = Object.hasOwn(schema, field) ? schema[field] : undefined;
    const check = core ?? (prop ? propertyCheck(prop) : () => null);
    entries.push({ index, label: `${field} (column ${index})`, check });
  }
  entries.sort((a, b) => a.index - b.index);
  const width = entries.reduce((m, e) => Math.max(m, e.index + 1), 0);
  return {
    width,
    validate(fields) {
      if (fields.length < width) return `the row has ${fields.length} columns but the format maps column ${width - 1}`;
      for (const e of entries) {
        const why = e.check(fields[e.index]!);
        if (why !== null) return `${e.label} ${why}`;
      }
      return null;
    },
  };
}
