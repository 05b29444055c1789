import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';
import { GUIDE_FORMAT, ROLE_ARN } from '../helpers/paths.js';

/** The JSON part of a result's text (after the untrusted-data note, when there is one). */
const jsonText = (r: CallToolResult) => text(r).slice(text(r).indexOf('{'));
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

let mcp: McpSession;
beforeAll(async () => {
  mcp = await startMcp(['--sandbox']);
});
afterAll(() => mcp.close());

describe('results are compact for the model', () => {
  it('text content is the structured result as unindented JSON, nothing more', async () => {
    for (const [name, args] of [
      ['get_dataset', { dataset_id: 'gs.dataset-1' }],
      ['get_aws_trust_policy', { bucket: 's3://my_bucket/my_path/' }],
      ['list_datasets', {}],
    ] as const) {
      const r = await mcp.call(name, args);
      expect(jsonText(r), name).toBe(JSON.stringify(r.structuredContent));
      expect(text(r), name).not.toMatch(/\n\s+"/);
    }
  });

  it('get_dataset gives the metadataSchema once', async () => {
    const r = await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' });
    expect(count(text(r), '"transportation_mode"')).toBe(1);
    expect(structured(r).dataset.dataDescription?.metadataSchema).toBeUndefined();
    expect(Object.keys(structured(r).metadataSchema)).toContain('transportation_mode');
  });

  it('get_aws_trust_policy gives each policy once, and names which one each file holds', async () => {
    const r = await mcp.call('get_aws_trust_policy', { bucket: 's3://my_bucket/my_path/' });
    const s = structured(r);
    expect(count(text(r), '"Statement"')).toBe(2); // the trust policy and the access policy, once each
    expect(s.files).toEqual([
      { name: 'trust-policy.json', document: 'trustPolicy' },
      { name: 'access-policy.json', document: 'accessPolicy' },
    ]);
    for (const f of s.files) expect(s[f.document]).toBeTypeOf('object');
  });

  it('get_batch does not repeat the source and format that put_batch returned', async () => {
    const source = { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } };
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: GUIDE_FORMAT }));
    expect(dry.job.source).toBeDefined();
    const polled = structured(await mcp.call('get_batch', { batch_id: dry.job.id }));
    expect(polled.job.id).toBe(dry.job.id);
    expect(polled.job.source).toBeUndefined();
    expect(polled.job.format).toBeUndefined();
  });
});

describe('tool annotations say what a tool may do in this configuration', () => {
  it('infer_csv_format reaches the outside world (URLs, S3)', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.find((t) => t.name === 'infer_csv_format')!.annotations!.openWorldHint).toBe(true);
    const put = tools.find((t) => t.name === 'put_batch')!;
    expect(put.annotations!.readOnlyHint).toBe(false);
    expect(put.description).not.toMatch(/Read-only mode/);
  });

  it('in --read-only mode put_batch is shown as read-only and says it only dry-runs', async () => {
    const ro = await startMcp(['--sandbox', '--read-only']);
    try {
      const { tools } = await ro.client.listTools();
      const put = tools.find((t) => t.name === 'put_batch')!;
      expect(put.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(put.description).toMatch(/^Read-only mode: this server only dry-runs/);
      expect(tools.map((t) => t.name)).not.toContain('abort_batch');
    } finally {
      await ro.close();
    }
  });
});
