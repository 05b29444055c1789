#!/usr/bin/env node
// The walkthrough: starts the built server as an MCP client would (the SDK's client over stdio, the
// embedded sandbox as backend) and walks the user guide's four steps, printing each call and a
// readable summary of each result. Exits non-zero if any step fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = (s = '') => process.stdout.write(`${s}\n`);
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

const env = { ...process.env };
delete env.DFI_API_URL;
delete env.DFI_API_TOKEN;
delete env.DFI_STATE_DIR;
// A state folder of its own, removed at the end: the walkthrough imports the same bundled files on
// every run, and must neither be refused by nor leave entries in the person's own import ledger.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-demo-'));
const cleanUp = () => fs.rmSync(stateDir, { recursive: true, force: true });
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.join(root, 'dist', 'index.js'), '--sandbox', '--state-dir', stateDir],
  cwd: root,
  env,
  stderr: 'pipe',
});
const serverLog = [];
transport.stderr?.on('data', (d) => serverLog.push(String(d)));
const client = new Client({ name: 'dfi-ingest-mcp-demo', version: '1.0.0' });

async function call(name, args, summarise) {
  out(bold(`\n→ ${name} ${JSON.stringify(args)}`));
  const res = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
  if (res.isError) {
    out(`  ✗ ${res.content?.[0]?.text}`);
    throw new Error(`${name} failed`);
  }
  const r = res.structuredContent;
  for (const line of summarise(r)) out(`  ${line}`);
  if (r.nextSteps?.length) out(`  next: ${r.nextSteps[0]}`);
  return r;
}

try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  out(bold('dfi-ingest-mcp demo: the user guide\'s four steps against the embedded sandbox'));
  out(`server: ${client.getInstructions()?.match(/Backend: [^.(]*/)?.[0] ?? 'backend not announced'}`);
  out(`tools: ${tools.map((t) => t.name).join(', ')}`);

  out(bold('\n1. Get the AWS trust policy'));
  const iam = await call('get_aws_trust_policy', { bucket: 's3://my_bucket/my_path/', role_name: 'my_role' }, (r) => [
    `principal ${r.principal}, ExternalId ${r.externalId}`,
    ...r.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.message}`),
    ...r.warnings.map((w) => `! ${w}`),
  ]);

  out(bold('\n2-3. Create or pick a role and attach the policy (the person runs these; the sandbox does not assume roles)'));
  for (const f of iam.files) out(`  save ${f.name} (${JSON.stringify(iam[f.document], null, 2).length + 1} bytes, from ${f.document})`);
  for (const c of iam.commands.newRole) out(`  $ ${c.command}`);

  out(bold('\n4. Set up the ingestion job'));
  await call('get_dataset', { dataset_id: 'gs.dataset-1' }, (r) => [
    `${r.dataset.id}: ${Object.entries(r.metadataSchema).map(([k, v]) => `${k} (${v.type})`).join(', ')}; may write: ${r.canWrite}`,
  ]);
  const inferred = await call('infer_csv_format', { path: 'examples/s3/my_bucket/my_path/trips-1.csv', dataset_id: 'gs.dataset-1' }, (r) => [
    `file_format: ${JSON.stringify(r.file_format)}`,
    `dialect: delimiter ${JSON.stringify(r.dialect.delimiter)}, header ${r.dialect.hasHeader}, ${r.rowsSampled} rows sampled`,
    ...r.warnings.map((w) => `! ${w}`),
  ]);
  const request = {
    dataset_id: 'gs.dataset-1',
    source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: 'arn:aws:iam::123456789123:role/my_role' } },
    file_format: inferred.file_format,
  };
  const dry = await call('put_batch', { ...request, dry_run: true }, (r) => [
    `dry run ${r.job.id}: ${r.job.status}, ${r.job.insertCount} rows would be inserted, ${r.job.invalidCount} invalid`,
    ...String(r.job.log ?? '').split('\n').filter(Boolean).slice(0, 4).map((l) => `log: ${l}`),
  ]);
  if (!dry.confirmation) throw new Error('the dry run did not succeed');
  const started = await call('put_batch', { ...request, dry_run: false, confirmation: dry.confirmation.token }, (r) => [
    `import ${r.job.id}: ${r.job.status}`,
  ]);
  let done;
  for (let i = 0; i < 5 && !done?.terminal; i++) {
    done = await call('get_batch', { batch_id: started.job.id, wait_seconds: 30 }, (r) => [
      `${r.job.status}: ${r.job.insertCount} inserted, ${r.job.invalidCount} invalid; history ${r.history.map((h) => h.status).join(' <- ')}`,
      ...String(r.job.log ?? '').split('\n').filter(Boolean).map((l) => `log: ${l}`),
    ]);
  }
  out(bold(`\nDone: ${done.job.status}, ${done.job.insertCount} rows inserted, ${done.job.invalidCount} rejected.`));
  await client.close();
  cleanUp();
  process.exit(done.job.status === 'finished' ? 0 : 1);
} catch (err) {
  out(`\ndemo failed: ${err.message}`);
  if (serverLog.length) process.stderr.write(serverLog.join(''));
  await client.close().catch(() => {});
  cleanUp();
  process.exit(1);
}
