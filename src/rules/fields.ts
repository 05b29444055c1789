/**
 * The platform's core fields and their names: snake_case in tool arguments (as in dfipy), camelCase
 * on the wire. Only the core names are renamed; dataset property names are sent exactly as written.
 */
import type { WireCsvFormat } from '../dfi/schemas.js';

/** Every row needs these (argument names). */
export const CORE_FIELDS = ['entity_id', 'timestamp', 'longitude', 'latitude'] as const;
/** Core fields a format may map too (argument names). */
export const OPTIONAL_CORE_FIELDS = ['altitude', 'metadata_id'] as const;
/** Every core field, as written in arguments. */
export const ALL_CORE_FIELDS: ReadonlySet<string> = new Set([...CORE_FIELDS, ...OPTIONAL_CORE_FIELDS]);

const TO_WIRE: Readonly<Record<string, string>> = { entity_id: 'entityId', metadata_id: 'metadataId' };
const FROM_WIRE: Readonly<Record<string, string>> = { entityId: 'entity_id', metadataId: 'metadata_id' };

/** The core fields every row needs, as the wire names them. */
export const WIRE_REQUIRED: readonly string[] = CORE_FIELDS.map((f) => TO_WIRE[f] ?? f);
/** Every core field, as the wire names it. */
export const WIRE_CORE: ReadonlySet<string> = new Set([...ALL_CORE_FIELDS].map((f) => TO_WIRE[f] ?? f));

/** Wire names that differ from the argument names (`entityId`, `metadataId`): the argument name to write instead. */
export function argumentNameOf(wireName: string): string | undefined {
  return Object.hasOwn(FROM_WIRE, wireName) ? FROM_WIRE[wireName] : undefined;
}

/** The column map as tool arguments write it. */
export type FileFormat = Record<string, number>;

export function toWireFormat(format: FileFormat): WireCsvFormat {
  const out: WireCsvFormat = {};
  for (const [k, v] of Object.entries(format)) out[Object.hasOwn(TO_WIRE, k) ? TO_WIRE[k]! : k] = v;
  return out;
}

export function fromWireFormat(format: WireCsvFormat): FileFormat {
  const out: FileFormat = {};
  for (const [k, v] of Object.entries(format)) out[Object.hasOwn(FROM_WIRE, k) ? FROM_WIRE[k]! : k] = v;
  return out;
}
