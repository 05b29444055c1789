#!/usr/bin/env node
// Writes the sandbox's bundled example bucket: examples/s3/my_bucket/my_path/trips-{1,2,3}.csv, in the
// user guide's ten-column format, with a few deliberately invalid rows (listed in INVALID below).
// Deterministic: the same files every run. Run: node scripts/make-examples.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'examples', 's3', 'my_bucket', 'my_path');
fs.mkdirSync(dir, { recursive: true });

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const modes = ['dwelling', 'driving', 'cycling', 'walking'];
const cards = ['visa', 'mastercard', 'amex'];

// file -> { 0-based row number -> [why, row transform] }
const INVALID = {
  'trips-1.csv': {
    7: ['latitude out of range', (r) => ((r[3] = '95.12'), r)],
    33: ['ipv4 not an address', (r) => ((r[4] = '300.1.2.3'), r)],
    61: ['age negative', (r) => ((r[5] = '-5'), r)],
    110: ['unknown transportation_mode', (r) => ((r[9] = 'flying'), r)],
  },
  'trips-2.csv': {
    12: ['route_id empty (not nullable)', (r) => ((r[7] = ''), r)],
    58: ['timestamp not epoch ms', (r) => ((r[1] = '2022-01-01T10:00:00Z'), r)],
    105: ['too few columns', (r) => r.slice(0, 6)],
  },
  'trips-3.csv': {
    3: ['entity id empty', (r) => ((r[0] = ''), r)],
    44: ['unknown credit_card_provider', (r) => ((r[8] = 'diners'), r)],
    90: ['route_id beyond uint32', (r) => ((r[7] = '4294967296'), r)],
  },
};
const ROWS = { 'trips-1.csv': 120, 'trips-2.csv': 120, 'trips-3.csv': 100 };

let t0 = 1640995676000;
for (const [file, n] of Object.entries(ROWS)) {
  const entities = Array.from({ length: 4 }, () => ({
    id: uuid(),
    lon: -0.2 + rand() * 0.2,
    lat: 51.45 + rand() * 0.1,
    route: Math.floor(rand() * 40),
    mode: pick(modes),
    ip: rand() < 0.5 ? `10.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)}.${1 + Math.floor(rand() * 250)}` : '',
    home: rand() < 0.3 ? `192.168.${Math.floor(rand() * 255)}.${1 + Math.floor(rand() * 250)}` : '',
    age: rand() < 0.6 ? String(18 + Math.floor(rand() * 60)) : '',
    card: rand() < 0.5 ? pick(cards) : '',
  }));
  const lines = [];
  for (let i = 0; i < n; i++) {
    const e = entities[i % entities.length];
    e.lon += (rand() - 0.5) * 0.001;
    e.lat += (rand() - 0.5) * 0.001;
    t0 += 1000 + Math.floor(rand() * 5000);
    let row = [e.id, String(t0), String(e.lon), String(e.lat), e.ip, e.age, e.home, String(e.route), e.card, e.mode];
    const bad = INVALID[file][i];
    if (bad) row = bad[1](row);
    lines.push(row.join(','));
  }
  fs.writeFileSync(path.join(dir, file), lines.join('\n') + '\n');
}
const total = Object.values(ROWS).reduce((a, b) => a + b, 0);
const invalid = Object.values(INVALID).reduce((a, m) => a + Object.keys(m).length, 0);
const dryInvalid = Object.values(INVALID).reduce((a, m) => a + Object.keys(m).filter((k) => Number(k) < 100).length, 0);
process.stderr.write(`wrote ${Object.keys(ROWS).length} files: ${total} rows, ${invalid} invalid (${dryInvalid} within the first 100 rows of each file)\n`);
