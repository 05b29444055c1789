import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { startMcp } from '../helpers/mcp.js';
import { DIST_ENTRY, ROLE_ARN, ROOT } from '../helpers/paths.js';
import { waitFor } from '../helpers/wait.js';
import { Figures } from './figures.js';

const figures = new Figures('MCP over stdio (fuzzed tool calls, hostile stdin)');
afterAll(() => {
  process.stdout.write(`\n${figures.line()}\n`);
});

describe('hostile input on stdin', () => {
  it('garbage, truncated and oversized messages never crash the server nor reach stdout', async () => {
    const child = spawn(process.execPath, [DIST_ENTRY, '--sandbox'], { cwd: ROOT, env: isolatedEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const write = (s: string) => new Promise<void>((r) => child.stdin.write(s, () => r()));
    const hostile = [
      'not json at all\n',
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{\n', // truncated
      '{}\n',
      '[]\n',
      'null\n',
      '{"jsonrpc":"2.0","id":{"nested":true},"method":"tools/list"}\n',
      '{"jsonrpc":"1.0","id":2,"method":"tools/call"}\n',
      `${'\u0000\u00ff'.repeat(1000)}\n`,
      `{"jsonrpc":"2.0","id":3,"method":"${'x'.repeat(100_000)}"}\n`,
      `${'['.repeat(50_000)}\n`, // deep nesting
    ];
    for (const h of hostile) await write(h);
    await write(`${'y'.repeat(11 * 1024 * 1024)}\n`); // over the 10 MB message limit
    // The server still answers a well-formed session afterwards.
    await write(`${JSON.stringify({ jsonrpc: '2.0', id: 10, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '0' } } })}\n`);
    await write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    await write(`${JSON.stringify({ jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'get_dataset', arguments: { dataset_id: 'gs.dataset-1' } } })}\n`);
    await waitFor(() => out.includes('"id":11') || child.exitCode !== null, 'the answer to request 11');
    expect(child.exitCode).toBeNull();
    child.stdin.end();
    await new Promise((r) => child.on('exit', r));
    const lines = out.split('\n').filter(Boolean);
    for (const line of lines) expect(JSON.parse(line).jsonrpc).toBe('2.0');
    expect(lines.some((l) => l.includes('"id":11') && l.includes('gs.dataset-1'))).toBe(true);
    figures.inputs += hostile.length + 1;
  });
});

describe('many calls at once, and fuzzed arguments', () => {
  it('answers 100 concurrent tool calls', async () => {
    const mcp = await startMcp(['--sandbox']);
    try {
      const calls = Array.from({ length: 100 }, (_, i) =>
        i % 3 === 0
          ? mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' })
          : i % 3 === 1
            ? mcp.call('infer_csv_format', { sample: `id,time,lat,lon\na,${1700000000000 + i},48.8,2.3\na,${1700000001000 + i},48.9,2.4\n` })
            : mcp.call('put_batch', {
                dataset_id: 'gs.dataset-1',
                source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } },
                file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
                dry_run: 5,
              }),
      );
      const results = await Promise.all(calls);
      figures.inputs += results.length;
      expect(results.filter((r) => r.isError)).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('a few hundred fuzzed tool calls all get an answer, and the server stays up', async () => {
    const mcp = await startMcp(['--sandbox']);
    const json = fc.jsonValue({ maxDepth: 3 });
    const tools = ['get_aws_trust_policy', 'infer_csv_format', 'put_batch', 'get_batch', 'abort_batch', 'get_dataset'];
    const argsFor = fc.oneof(
      fc.dictionary(fc.constantFrom('dataset_id', 'batch_id', 'sample', 'path', 'url', 'source', 'file_format', 'dry_run', 'wait_seconds', 'bucket', 'glob', 'confirmation', 'x'), json, { maxKeys: 5 }),
      fc.record({ dataset_id: fc.string(), source: fc.record({ s3: fc.dictionary(fc.string({ maxLength: 8 }), json) }), file_format: fc.dictionary(fc.string({ maxLength: 12 }), fc.integer()) }),
      fc.record({ sample: fc.string({ maxLength: 2000 }) }),
      fc.record({ path: fc.constantFrom('../../etc/passwd', '/dev/zero', '/proc/self/environ', 'examples/../../../etc/hosts', '\u0000', 'examples/s3/my_bucket/my_path/trips-1.csv') }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...tools), argsFor, async (name, args) => {
          await figures.probe(async () => {
            let answered = false;
            try {
              const r = await mcp.client.callTool({ name, arguments: args as Record<string, unknown> }, undefined, { timeout: 30_000 });
              answered = Array.isArray(r.content);
              if (r.isError) expect(JSON.stringify(r.content)).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack traces
            } catch (err) {
              answered = /MCP error/.test(String(err)); // a protocol-level refusal is an answer too
            }
            expect(answered).toBe(true);
          });
        }),
        { numRuns: 300 },
      );
      const ok = await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' });
      expect(ok.isError).toBeFalsy();
      expect(figures.crashes).toBe(0);
    } finally {
      await mcp.close();
    }
  }, 180_000);
});
