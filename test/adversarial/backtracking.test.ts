/**
 * Values that made the CSV path's regular expressions backtrack for seconds to minutes (a 65,000-digit
 * number, 1 MB of spaces), from outside: infer_csv_format and a put_batch dry run over stdio, with
 * ping sent during each call. Before the fix each call blocked the server 10 s to over 120 s (past
 * the call's timeout); the latencies of ping are printed as figures, not asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, type McpSession } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';

let mcp: McpSession;
let root: string;
const figures: string[] = [];
const DIGITS = '9'.repeat(65_000);
const SPACES = ' '.repeat(1_000_000);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-backtrack-'));
  fs.mkdirSync(path.join(root, 'hostile', 'in'), { recursive: true });
  fs.writeFileSync(path.join(root, 'hostile', 'in', 'a.csv'), Array.from({ length: 20 }, (_, i) => `e${i},1700000000000,${DIGITS}x,${SPACES}1.5`).join('\n') + '\n');
  mcp = await startMcp(['--sandbox', '--sandbox-s3-root', root]);
});
afterAll(async () => {
  await mcp?.close();
  fs.rmSync(root, { recursive: true, force: true });
  process.stdout.write(`\nping during pathological calls: ${figures.join('; ')}\n`);
});

/** Runs the call with a ping sent just after it; records both latencies. */
async function withPing(label: string, call: () => Promise<unknown>) {
  const t0 = performance.now();
  let pingMs = 0;
  let callMs = 0;
  await Promise.all([
    call().then(() => (callMs = performance.now() - t0)),
    mcp.client.ping().then(() => (pingMs = performance.now() - t0)),
  ]);
  figures.push(`${label}: call ${callMs.toFixed(0)} ms, ping ${pingMs.toFixed(0)} ms`);
  return { pingMs, callMs };
}

describe('pathological values', () => {
  it('a 65,000-digit value in a 64 KiB sample: infer_csv_format answers, and so does ping', async () => {
    const sample = `id,time,x\n${Array.from({ length: 3 }, (_, i) => `e${i},1700000000000,${DIGITS.slice(0, 20_000)}x`).join('\n')}\n`;
    const r = await withPing('65,000 digits', () => mcp.call('infer_csv_format', { sample }));
    expect(r.pingMs).toBeGreaterThan(0);
  });

  it('1 MB of spaces in a value: infer_csv_format answers, and so does ping', async () => {
    const sample = `a,b,c\n1,${SPACES}1.5 2.5x,3\n2,${' '.repeat(10)}1.5,3\n`;
    const r = await withPing('1 MB of spaces', () => mcp.call('infer_csv_format', { sample, max_bytes: 2 * 1024 * 1024 }));
    expect(r.pingMs).toBeGreaterThan(0);
  });

  it('a dry run over a file of such values answers, and so does ping', async () => {
    let result: Record<string, any> = {};
    await withPing('dry run', async () => {
      result = (await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source: { s3: { bucket: 'hostile', prefix: 'in/', glob: '*.csv', role_arn: ROLE_ARN } }, file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 } })).structuredContent as Record<string, any>;
    });
    expect(result.job.invalidCount).toBe(20);
  });
});
