import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';
import { startMcp, structured } from '../helpers/mcp.js';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'manifest.json'), 'utf8'));

describe('installed as a bundle (MCPB)', () => {
  it('starts on the sandbox when the host passes the optional fields unexpanded', async () => {
    // What a host that does not expand empty optional fields puts in the environment: the manifest's own text.
    const env = manifest.server.mcp_config.env as Record<string, string>;
    expect(Object.values(env).every((v) => v.startsWith('${user_config.'))).toBe(true);
    const mcp = await startMcp([], env);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).toContain('put_batch');
      expect(mcp.client.getInstructions()).toMatch(/embedded sandbox/);
      const ds = structured(await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' }));
      expect(ds.dataset.id).toBe('gs.dataset-1');
    } finally {
      await mcp.close();
    }
  });
});
