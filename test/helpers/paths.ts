import path from 'node:path';
import { toWireFormat } from '../../src/rules/fields.js';
import type { MetadataSchema } from '../../src/dfi/schemas.js';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXAMPLES_S3 = path.join(ROOT, 'examples', 's3');
export const EXAMPLES_DATASETS = path.join(ROOT, 'examples', 'datasets.json');
export const DIST_ENTRY = path.join(ROOT, 'dist', 'index.js');

/** What the bundled files hold (see scripts/make-examples.mjs). */
export const BUNDLED = { files: 3, rows: 340, invalid: 10, dryRunChecked: 300, dryRunInvalid: 8 };
export const ROLE_ARN = 'arn:aws:iam::123456789123:role/my_role';
/** The guide's column map, as put_batch takes it. */
export const GUIDE_FORMAT = {
  entity_id: 0,
  timestamp: 1,
  longitude: 2,
  latitude: 3,
  ipv4: 4,
  age: 5,
  home_ipv4: 6,
  route_id: 7,
  credit_card_provider: 8,
  transportation_mode: 9,
};
/** The metadataSchema of the guide's sample (as in examples/datasets.json, with fewer enum values). */
export const GUIDE_SCHEMA: MetadataSchema = {
  ipv4: { type: 'ip', nullable: true },
  age: { type: 'number', nullable: true, signed: false },
  home_ipv4: { type: 'ip', nullable: true },
  route_id: { type: 'number', nullable: false, signed: false },
  credit_card_provider: { type: 'enum', nullable: true, values: ['visa', 'mastercard'] },
  transportation_mode: { type: 'enum', nullable: false, values: ['dwelling', 'driving', 'cycling', 'walking'] },
};
export const GUIDE_WIRE_FORMAT = toWireFormat(GUIDE_FORMAT);
