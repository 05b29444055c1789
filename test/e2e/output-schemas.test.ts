// Results match the output schemas that tools/list announces: a client that listed the tools first
// (the SDK's client then checks every structuredContent against its outputSchema) accepts them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, type McpSession } from '../helpers/mcp.js';
import { GUIDE_FORMAT, ROLE_ARN } from '../helpers/paths.js';

const ROW = (t: number) => `aca5597c-8666-43bf-9c85-0b575ece58ed,${t},51.54191120617028,-0.1136967540230455,,,,0,,dwelling`;

describe('results against the listed output schemas', () => {
  let mcp: McpSession;
  beforeAll(async () => {
    mcp = await startMcp(['--sandbox']);
    await mcp.client.listTools();
  });
  afterAll(async () => mcp?.close());

  it("infer_csv_format's warning codes are part of its schema", async () => {
    const ambiguous = structured(await mcp.call('infer_csv_format', { sample: `${ROW(1640995676000)}\n${ROW(1640995700000)}\n`, preview: false }));
    expect(ambiguous.warningCodes).toEqual(['ambiguous_coordinates']);
    const rows = Array.from({ length: 20 }, (_, i) => `b${i % 2},2024-05-01 08:${String(10 + i).padStart(2, '0')}:00,${(45.7 + i * 1e-3).toFixed(5)},${(4.8 + i * 1e-3).toFixed(5)}`);
    const zoneless = structured(await mcp.call('infer_csv_format', { sample: ['boat,time,latitude,longitude', ...rows].join('\n'), preview: false }));
    expect(zoneless.warningCodes).toEqual(['zoneless_time']);
    expect(zoneless.nextSteps.join(' ')).toMatch(/which time zone/);
  });

  it('a dry run and get_dataset answer within their schemas', async () => {
    const source = { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } };
    const dry = structured(await mcp.call('put_batch', { dataset_id: 'gs.dataset-1', source, file_format: GUIDE_FORMAT }));
    expect(dry.verdict.code).toBe('rows_would_be_inserted');
    expect(structured(await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' })).dataset).toBeDefined();
  });
});
