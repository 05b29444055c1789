#!/usr/bin/env node
// npm run pack:mcpb: builds the MCP Bundle (.mcpb) with @anthropic-ai/mcpb: stages what runs
// (dist, examples, docs, production dependencies), validates manifest.json, packs and reports.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-mcpb-'));
const out = path.join(root, 'dfi-ingest-mcp.mcpb');
const mcpb = path.join(root, 'node_modules', '.bin', 'mcpb');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
try {
  for (const item of ['dist', 'examples', 'docs', 'package.json', 'package-lock.json', 'manifest.json', 'README.md', 'LICENSE', 'icon.png']) {
    fs.cpSync(path.join(root, item), path.join(stage, item), { recursive: true });
  }
  // Production dependencies only, from the npm cache when it has them.
  run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], stage);
  process.stdout.write(run(mcpb, ['validate', path.join(stage, 'manifest.json')], root));
  process.stdout.write(run(mcpb, ['pack', stage, out], root));
  process.stdout.write(`bundle: ${out} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB)\n`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
