#!/usr/bin/env node
// npm pack / npm publish: ship the lock file as npm-shrinkwrap.json, so that `npx -y dfi-ingest-mcp`
// installs exactly the versions this project was tested with (the AWS SDK's later releases need
// Node 22; their `^` ranges would otherwise pull them). The repository keeps package-lock.json
// (what `npm ci` reads); the shrinkwrap exists only between prepack and postpack.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'npm-shrinkwrap.json');
if (process.argv[2] === 'write') fs.copyFileSync(path.join(root, 'package-lock.json'), target);
else if (process.argv[2] === 'remove') fs.rmSync(target, { force: true });
else {
  process.stderr.write('usage: shrinkwrap.mjs write|remove\n');
  process.exit(2);
}
