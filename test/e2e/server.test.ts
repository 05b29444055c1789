import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from '../../src/sandbox/server.js';
import { isolatedEnv } from '../helpers/env.js';
import { startMcp, structured, text } from '../helpers/mcp.js';
import { DIST_ENTRY, EXAMPLES_DATASETS, EXAMPLES_S3, ROLE_ARN, ROOT } from '../helpers/paths.js';
import { expectToolSnapshots } from '../helpers/toolsnaps.js';
import { waitFor } from '../helpers/wait.js';

const cleanEnv = () => isolatedEnv();

describe('the tool contract', () => {
  it('lists the tools with output schemas and honest annotations (snapshot)', async () => {
    const mcp = await startMcp(['--sandbox']);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        'get_aws_trust_policy',
        'infer_csv_format',
        'put_batch',
        'get_batch',
        'abort_batch',
        'list_imports',
        'check_import',
        'add_enum_values',
        'list_datasets',
        'get_dataset',
        'check_s3_source',
        'check_aws_role',
        'prepare_files',
        'get_prepare_job',
        'cancel_prepare_job',
      ]);
      for (const t of tools) {
        expect(t.outputSchema, t.name).toBeDefined();
        expect(t.inputSchema.additionalProperties, `${t.name} inputs are strict`).toBe(false);
        expect(t.description!.length).toBeGreaterThan(60);
      }
      const ann = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
      expect(ann.get_batch!.readOnlyHint).toBe(true);
      expect(ann.put_batch!.readOnlyHint).toBe(false);
      expect(ann.abort_batch!.destructiveHint).toBe(true);
      expect(ann.prepare_files!.readOnlyHint).toBe(false);
      expect(ann.check_import!.readOnlyHint).toBe(true);
      expect(ann.add_enum_values!.readOnlyHint).toBe(false);
      // 15 tools, about 2 KB each (check_import and add_enum_values: 2.7 KB together).
      expect(JSON.stringify(tools).length).toBeLessThan(32 * 1024);
      expectToolSnapshots(tools);
    } finally {
      await mcp.close();
    }
  });
});

describe('prompt, resource and logging', () => {
  it('offers the setup_s3_ingestion prompt and the user guide as a resource', async () => {
    const mcp = await startMcp(['--sandbox']);
    try {
      const { prompts } = await mcp.client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(['setup_s3_ingestion']);
      expect(prompts[0]!.arguments!.map((a) => [a.name, a.required])).toEqual([['dataset_id', true], ['bucket', true], ['prefix', false], ['glob', false], ['role_name', false]]);
      const p = await mcp.client.getPrompt({ name: 'setup_s3_ingestion', arguments: { dataset_id: 'gs.trips', bucket: 'acme-trips', prefix: '2024/', role_name: 'trips-reader', glob: '*/*.csv' } });
      const t = (p.messages[0]!.content as { text: string }).text;
      // The files and the column map are checked before the IAM steps.
      const order = ['get_dataset', 'check_s3_source', 'infer_csv_format', 'get_aws_trust_policy', 'put_batch', 'get_batch'].map((n) => t.indexOf(n));
      expect(t).toContain('"role_name": "trips-reader"');
      expect(t).toContain('"glob": "*/*.csv"');
      expect(t).not.toContain('dfi-import"');
      expect(t).toMatch(/update-assume-role-policy REPLACES its whole trust policy/);
      const d = await mcp.client.getPrompt({ name: 'setup_s3_ingestion', arguments: { dataset_id: 'gs.trips', bucket: 'acme-trips' } });
      expect((d.messages[0]!.content as { text: string }).text).toContain('"glob": "**/*.csv"');
      expect(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
      expect(t).toMatch(/s3:\/\/acme-trips\/2024\/ \(glob "\*\/\*\.csv"\) into the DFI dataset gs\.trips/);
      expect(t).toMatch(/s3_presigned/);
      const { resources } = await mcp.client.listResources();
      expect(resources.map((r) => r.uri)).toEqual(['dfi://docs/importing-data-from-aws-s3']);
      const guide = await mcp.client.readResource({ uri: 'dfi://docs/importing-data-from-aws-s3' });
      expect((guide.contents[0] as { text: string }).text).toMatch(/^\(importing-data-from-aws-s3\)=\n\n# From AWS S3/);
    } finally {
      await mcp.close();
    }
  });

  it('sends log messages to the client at the level it asks for', async () => {
    const mcp = await startMcp(['--sandbox', '--log-level', 'debug']);
    const messages: { level: string; data: unknown }[] = [];
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params));
    try {
      const done = (tool: string, from = 0) => messages.slice(from).some((m) => m.level === 'debug' && new RegExp(`${tool}: done in \\d+ ms`).test(String(m.data)));
      await mcp.client.setLoggingLevel('debug');
      await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' });
      await waitFor(() => done('get_dataset'), 'the debug message of get_dataset');
      await mcp.client.setLoggingLevel('error');
      const before = messages.length;
      await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' });
      // A barrier: back at debug, another tool's message. The server wrote any message of the call
      // above before this one, and stdio keeps the order, so once it is here, the other would be too.
      await mcp.client.setLoggingLevel('debug');
      await mcp.call('get_aws_trust_policy', {});
      await waitFor(() => done('get_aws_trust_policy', before), 'the debug message of get_aws_trust_policy');
      expect(done('get_dataset', before)).toBe(false);
    } finally {
      await mcp.close();
    }
  });
});

describe('the prebuilt tools/list payload (npm run build)', () => {
  it('equals the payload computed from the tool definitions', async () => {
    const prebuilt = await startMcp(['--sandbox']);
    const computed = await startMcp(['--sandbox'], { DFI_NO_PREBUILT_TOOLS_LIST: '1' });
    try {
      const [a, b] = await Promise.all([prebuilt.client.listTools(), computed.client.listTools()]);
      expect(a.tools.length).toBe(15);
      expect(a).toEqual(b);
    } finally {
      await prebuilt.close();
      await computed.close();
    }
  });
});

describe('read-only mode', () => {
  it('leaves out abort_batch and allows dry runs only', async () => {
    const mcp = await startMcp(['--sandbox', '--read-only']);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).not.toContain('abort_batch');
      expect(tools.map((t) => t.name)).not.toContain('add_enum_values');
      expect(tools.map((t) => t.name)).toContain('check_import');
      const args = {
        dataset_id: 'gs.dataset-1',
        source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } },
        file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
      };
      const dry = structured(await mcp.call('put_batch', args));
      expect(dry.job.status).toBe('success');
      const real = await mcp.call('put_batch', { ...args, dry_run: false, confirmation: dry.confirmation.token });
      expect(text(real)).toMatch(/--read-only: only dry runs are allowed/);
      expect(tools.map((t) => t.name)).not.toContain('cancel_prepare_job');
      const recipe = { columns: [{ field: 'entity_id', kind: 'text', column: 0 }, { field: 'timestamp', kind: 'time', column: 1, format: 'epoch_ms' }, { field: 'longitude', kind: 'coordinate', column: 2, axis: 'longitude' }, { field: 'latitude', kind: 'coordinate', column: 3, axis: 'latitude' }] };
      const prep = await mcp.call('prepare_files', { source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv' } }, recipe, dry_run: false });
      expect(text(prep)).toMatch(/--read-only: prepare_files only does dry runs/);
    } finally {
      await mcp.close();
    }
  });
});

describe('the command line', () => {
  it('--help and --version answer and exit 0', () => {
    const help = spawnSync(process.execPath, [DIST_ENTRY, '--help'], { encoding: 'utf8', env: cleanEnv() });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/DFI_API_TOKEN/);
    const version = spawnSync(process.execPath, [DIST_ENTRY, '--version'], { encoding: 'utf8', env: cleanEnv() });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a bad flag is a one-line error on stderr, exit 2, no stack trace, nothing on stdout', () => {
    const r = spawnSync(process.execPath, [DIST_ENTRY, '--api-token', 'x'], { encoding: 'utf8', env: cleanEnv() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Unknown option '--api-token'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--print-config shows the resolved configuration and tools, never the token', () => {
    const token = 'tok-PRINT-CONFIG-9d8c7b6a5f4e';
    const r = spawnSync(process.execPath, [DIST_ENTRY, '--print-config', '--read-only'], { encoding: 'utf8', env: { ...cleanEnv(), DFI_API_URL: 'https://api.example.com', DFI_API_TOKEN: token } });
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.config).toMatchObject({ backend: 'platform', apiUrl: 'https://api.example.com', readOnly: true, apiToken: `set (${token.length} characters, from DFI_API_TOKEN)` });
    expect(c.config.stateDir).toMatch(/dfi-state-/); // the test's own state folder, from DFI_STATE_DIR
    expect(c.tools).not.toContain('abort_batch');
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('a URL without a token says what to set', () => {
    const r = spawnSync(process.execPath, [DIST_ENTRY, '--api-url', 'https://api.example.com'], { encoding: 'utf8', env: cleanEnv() });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/DFI_API_TOKEN/);
  });

  it('runs the sandbox alone, answering HTTP', async () => {
    const child = spawn(process.execPath, [DIST_ENTRY, 'sandbox', '--port', '0'], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stderr.on('data', (d) => {
          buf += String(d);
          const m = /listening at (http:\/\/[^\s]+)/.exec(buf);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`exited: ${buf}`)));
      });
      const res = await fetch(`${url}/v1/datasets/gs.dataset-1`, { headers: { authorization: 'Bearer anything' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe('gs.dataset-1');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('stdout belongs to the protocol', () => {
  it('writes only JSON-RPC messages on stdout during a session', async () => {
    const child = spawn(process.execPath, [DIST_ENTRY, '--sandbox'], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_aws_trust_policy', arguments: {} } });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'infer_csv_format', arguments: { path: 'examples/s3/my_bucket/my_path/trips-2.csv' } } });
    const answered = () => out.split('\n').filter((l) => /"id":\d+\}$/.test(l)).length;
    await waitFor(() => answered() === 4, 'the answers to requests 1 to 4');
    child.stdin.end();
    await new Promise((r) => child.on('exit', r));
    const messages = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; method?: string });
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    // One answer per request (in any order: a tool may wait for the sandbox), and notifications.
    expect(messages.filter((m) => m.id !== undefined).map((m) => m.id).sort()).toEqual([1, 2, 3, 4]);
    for (const m of messages.filter((m) => m.id === undefined)) expect(m.method).toMatch(/^notifications\//);
  });
});

describe('the platform backend and its token', () => {
  const MARKER = 'tok-MARKER-7f3a9c2e5b1d4f60';
  let platform: RunningSandbox;
  beforeAll(async () => {
    // A stand-in platform: the sandbox as a separate HTTP server that requires the marker token.
    platform = await startSandboxServer({ token: MARKER, s3Root: EXAMPLES_S3, datasetsFile: EXAMPLES_DATASETS });
  });
  afterAll(async () => {
    await platform.close();
  });

  it('uses DFI_API_URL and DFI_API_TOKEN, and the token appears in no output nor log', async () => {
    const mcp = await startMcp([], { DFI_API_URL: platform.url, DFI_API_TOKEN: MARKER, DFI_LOG_LEVEL: 'debug' });
    const outputs: string[] = [];
    try {
      const calls: [string, Record<string, unknown>][] = [
        ['get_aws_trust_policy', {}],
        ['get_dataset', { dataset_id: 'gs.dataset-1' }],
        ['get_dataset', { dataset_id: 'gs.missing' }],
        ['get_batch', { batch_id: 'nope' }],
        ['infer_csv_format', { path: 'examples/s3/my_bucket/my_path/trips-1.csv', dataset_id: 'gs.dataset-1' }],
        ['put_batch', { dataset_id: 'gs.dataset-1', source: { urls: ['http://127.0.0.1:9/x.csv'] }, file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3 } }],
        ['put_batch', { dataset_id: 'gs.dataset-1', source: { urls: ['http://127.0.0.1:9/x.csv'] }, file_format: { entity_id: 0 }, dry_run: false }],
      ];
      for (const [name, args] of calls) outputs.push(JSON.stringify(await mcp.call(name, args)));
      expect(JSON.parse(outputs[1]!).structuredContent.dataset.id).toBe('gs.dataset-1');
      expect(outputs[2]).toMatch(/HTTP 404/);
    } finally {
      await mcp.close();
    }
    expect(mcp.stderr()).toMatch(/backend: the DFI platform at http:\/\/127\.0\.0\.1/);
    for (const o of [...outputs, mcp.stderr()]) expect(o).not.toContain(MARKER);
  });

  it('a wrong token is a 401 with a hint, and is not echoed', async () => {
    const wrong = 'tok-WRONG-0a1b2c3d4e5f6789';
    const mcp = await startMcp([], { DFI_API_URL: platform.url, DFI_API_TOKEN: wrong });
    try {
      const r = await mcp.call('get_dataset', { dataset_id: 'gs.dataset-1' });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(/HTTP 401.*token is invalid or expired/s);
      expect(JSON.stringify(r) + mcp.stderr()).not.toContain(wrong);
    } finally {
      await mcp.close();
    }
  });
});
