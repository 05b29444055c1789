/**
 * The column map (`file_format`): snake_case in tool arguments (as in dfipy), camelCase on the wire.
 * Only the core keys are renamed; dataset property names are sent exactly as written.
 */
import type { WireCsvFormat } from '../dfi/schemas.js';

export const CORE_FIELDS = ['entity_id', 'timestamp', 'longitude', 'latitude'] as const;

const TO_WIRE: Record<string, string> = { entity_id: 'entityId', metadata_id: 'metadataId' };
const FROM_WIRE: Record<string, string> = { entityId: 'entity_id', metadataId: 'metadata_id' };
export const WIRE_CORE = new Set(['entityId', 'timestamp', 'longitude', 'latitude', 'altitude', 'metadataId']);

export type FileFormat = Record<string, number>;

export function toWireFormat(format: FileFormat): WireCsvFormat {
  const out: WireCsvFormat = {};
  for (const [k, v] of Object.entries(format)) out[TO_WIRE[k] ?? k] = v;
  return out;
}

export function fromWireFormat(format: WireCsvFormat): FileFormat {
  const out: FileFormat = {};
  for (const [k, v] of Object.entries(format)) out[FROM_WIRE[k] ?? k] = v;
  return out;
}
