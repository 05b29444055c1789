import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, type McpSession } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';

const ROWS = 1_000_000;
let dir: string;
let mcp: McpSession;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-progress-'));
  fs.mkdirSync(path.join(dir, 'big', 'in'), { recursive: true });
  const row = 'aca5597c-8666-43bf-9c85-0b575ece58ed,1640995676000,-0.11,51.54,,,,0,,dwelling\n';
  fs.writeFileSync(path.join(dir, 'big', 'in', 'a.csv'), row.repeat(ROWS));
  mcp = await startMcp(['--sandbox', '--sandbox-s3-root', dir, '--allow-unconfirmed-imports']);
});
afterAll(async () => {
  await mcp?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real import of the big file (the gate is lifted for this server). */
async function startImport() {
  return structured(
    await mcp.call('put_batch', {
      dataset_id: 'gs.dataset-1',
      source: { s3: { bucket: 'big', prefix: 'in/', glob: '*.csv', role_arn: ROLE_ARN } },
      file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
      dry_run: false,
      // The tests import the same file several times on purpose; the import ledger would refuse a repeat.
      reimport: true,
    }),
  );
}

describe('following a long import', () => {
  it('get_batch waits, sends progress notifications, and ends with the true count', async () => {
    const started = await startImport();
    const progress: number[] = [];
    let last: Record<string, any> | undefined;
    for (let i = 0; i < 10 && !last?.terminal; i++) {
      const r = await mcp.client.callTool({ name: 'get_batch', arguments: { batch_id: started.job.id, wait_seconds: 20 } }, undefined, {
        timeout: 60_000,
        onprogress: (p) => progress.push(p.progress),
      });
      last = structured(r);
    }
    expect(last!.job).toMatchObject({ status: 'finished', insertCount: ROWS, invalidCount: 0 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
  });

  it('abort_batch stops a running import; get_batch then shows it aborted with a partial count', async () => {
    const started = await startImport();
    const aborted = structured(await mcp.call('abort_batch', { batch_id: started.job.id }));
    expect(aborted.job.status).toBe('aborted');
    const after = structured(await mcp.call('get_batch', { batch_id: started.job.id, wait_seconds: 5 }));
    expect(after.terminal).toBe(true);
    expect(after.job.status).toBe('aborted');
    expect(after.job.insertCount).toBeLessThan(ROWS);
    expect(after.history.map((h: { status: string }) => h.status)[0]).toBe('aborted');
    // check_import says the batch stopped part way: the rest was never imported, not rejected.
    // Its queries run over the million points of the test above: a generous bound, as for a hang, on a busy machine.
    const check = structured(await mcp.client.callTool({ name: 'check_import', arguments: { batch_id: started.job.id, preview: false } }, undefined, { timeout: 300_000 }));
    expect(check.verdicts[0]).toMatchObject({ check: 'status', ok: false, suggests: 'batch_incomplete' });
    expect(check.nextSteps.join(' ')).toMatch(/never imported/);
    expect(check.nextSteps.join(' ')).not.toMatch(/rejected rows are listed/);
  });

  it('refuses a source with both s3 and urls', async () => {
    const r = await mcp.call('put_batch', {
      dataset_id: 'gs.dataset-1',
      source: { s3: { bucket: 'big', glob: '*.csv', role_arn: ROLE_ARN }, urls: ['https://example.com/a.csv'] },
      file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 },
    });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/exactly one of source.s3/);
  });
});
