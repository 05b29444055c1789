import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { DIST_ENTRY, ROLE_ARN, ROOT } from '../helpers/paths.js';

// An independent client: the MCP Inspector CLI (0.15.0, the last release that runs on Node 20).
const run = promisify(execFile);
const INSPECTOR = path.join(ROOT, 'node_modules', '.bin', 'mcp-inspector');
const inspect = async (...args: string[]) => {
  const { stdout } = await run(INSPECTOR, ['--cli', process.execPath, DIST_ENTRY, '--sandbox', ...args], { cwd: ROOT, env: isolatedEnv(), timeout: 60_000 });
  return JSON.parse(stdout);
};

describe('the MCP Inspector CLI as an independent client', () => {
  it('lists the tools', async () => {
    const r = await inspect('--method', 'tools/list');
    expect(r.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['get_aws_trust_policy', 'infer_csv_format', 'put_batch', 'get_batch']));
  });

  it('calls infer_csv_format and a put_batch dry run', async () => {
    const inferred = await inspect('--method', 'tools/call', '--tool-name', 'infer_csv_format', '--tool-arg', 'path=examples/s3/my_bucket/my_path/trips-1.csv');
    expect(inferred.isError).toBeFalsy();
    expect(inferred.structuredContent.file_format).toMatchObject({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 });

    const dry = await inspect(
      '--method',
      'tools/call',
      '--tool-name',
      'put_batch',
      '--tool-arg',
      'dataset_id=gs.dataset-1',
      `source=${JSON.stringify({ s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } })}`,
      `file_format=${JSON.stringify({ entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 })}`,
    );
    expect(dry.isError).toBeFalsy();
    expect(dry.structuredContent.job.status).toBe('success');
    expect(dry.structuredContent.confirmation.token).toMatch(/^dryrun-/);
  });
});
