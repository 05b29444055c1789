import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcp, structured, text, type McpSession } from '../helpers/mcp.js';

let mcp: McpSession;
beforeAll(async () => {
  mcp = await startMcp(['--sandbox']);
});
afterAll(() => mcp.close());

describe('finding a dataset id', () => {
  it('list_datasets lists what the token sees, compactly, and filters by text', async () => {
    const all = structured(await mcp.call('list_datasets'));
    expect(all.datasets.map((d: { id: string }) => d.id)).toEqual(['gs.dataset-1', 'gs.readonly-demo']);
    expect(all.datasets[0]).toEqual({ id: 'gs.dataset-1', name: "Trips (the user guide's example)", description: expect.any(String), properties: 6 });
    expect(all.more).toBe(false);
    const some = structured(await mcp.call('list_datasets', { contains: 'READONLY' }));
    expect(some.datasets.map((d: { id: string }) => d.id)).toEqual(['gs.readonly-demo']);
    expect(some.nextSteps[0]).toContain('get_dataset');
    const one = structured(await mcp.call('list_datasets', { limit: 1 }));
    expect([one.datasets.length, one.more]).toEqual([1, true]);
    const none = structured(await mcp.call('list_datasets', { contains: 'no-such-thing' }));
    expect(none.datasets).toEqual([]);
    expect(none.nextSteps[0]).toMatch(/No dataset matched/);
  });

  it('refuses unknown arguments with a clear error', async () => {
    const r = await mcp.call('list_datasets', { limt: 3 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/limt/);
  });

  it('completes dataset_id in the setup prompt from the datasets the token sees', async () => {
    const complete = (value: string) =>
      mcp.client.complete({ ref: { type: 'ref/prompt', name: 'setup_s3_ingestion' }, argument: { name: 'dataset_id', value } });
    expect((await complete('gs.r')).completion.values).toEqual(['gs.readonly-demo']);
    // Starts-with first, then contains.
    expect((await complete('')).completion.values).toEqual(['gs.dataset-1', 'gs.readonly-demo']);
    expect((await complete('TRIPS')).completion.values).toEqual(['gs.dataset-1']);
    expect(mcp.client.getServerCapabilities()?.completions).toBeDefined();
  });
});
