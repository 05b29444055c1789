#!/usr/bin/env node
// The import graph of src/ stays one-way: each folder's DEPS.list says which other parts of src/ its
// files may import (as playwright-mcp's DEPS.list files do). Part of `npm run lint`, and run by
// `npm test` (test/unit/deps.test.ts), so CI checks it.
//
// DEPS.list format: one entry a line, relative to the folder: `../rules` (a folder: anything in
// it), `../errors.ts` (one file). `[*]` starts the entries of every file of the folder, `[name.ts]`
// the extra entries of one file (an exception, say why in a `#` comment). Imports inside the same
// top-level folder (src/sandbox/store -> src/sandbox) are free. src/DEPS.list covers the files
// directly in src/. Also checked: no access to a private member of another library (`._name`,
// e.g. the MCP SDK's `_requestHandlers`): use public API only.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
/** `x._private` (not `_meta`, the protocol's own field). */
const PRIVATE_RE = /[\w\])]\??\._(?!meta\b)[A-Za-z]\w*/g;

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) walk(f, out);
    else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(f);
  }
  return out;
}

/** The top-level part of src/ a file belongs to: its folder, or the file itself when directly in src/. */
function unitOf(src, file) {
  const rel = path.relative(src, file).split(path.sep);
  return rel.length > 1 ? path.join(src, rel[0]) : src;
}

function readDeps(dir) {
  const file = path.join(dir, 'DEPS.list');
  if (!fs.existsSync(file)) return null;
  const sections = new Map([['*', []]]);
  let current = '*';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = section[1];
      if (!sections.has(current)) sections.set(current, []);
      continue;
    }
    sections.get(current).push(path.resolve(dir, line));
  }
  return sections;
}

const allows = (entry, target) => (entry.endsWith('.ts') ? target === entry : target === entry || target.startsWith(entry + path.sep));

/** Every import that its folder's DEPS.list does not allow, and every private member access. */
export function checkDeps(root) {
  const src = path.join(root, 'src');
  const problems = [];
  const lists = new Map();
  for (const file of walk(src)) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(root, file);
    const lineOf = (index) => text.slice(0, index).split('\n').length;
    for (const m of text.matchAll(PRIVATE_RE)) {
      problems.push(`${rel}:${lineOf(m.index)}: reads a private member (${m[0].slice(1)}): use the library's public API`);
    }
    const unit = unitOf(src, file);
    if (!lists.has(unit)) lists.set(unit, readDeps(unit));
    const deps = lists.get(unit);
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const at = m.index + m[0].search(/\S/) + (/^[;]/.test(m[0]) ? 1 : 0);
      const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      if (!target.startsWith(src + path.sep)) continue;
      if (unit !== src && (target === unit || target.startsWith(unit + path.sep))) continue;
      if (unit === src && path.dirname(target) === src) continue;
      if (!deps) {
        problems.push(`${rel}:${lineOf(at)}: imports ${path.relative(src, target)}, but ${path.relative(root, unit)}/DEPS.list is missing`);
        continue;
      }
      const entries = [...deps.get('*'), ...(deps.get(path.basename(file)) ?? [])];
      if (!entries.some((e) => allows(e, target))) {
        problems.push(`${rel}:${lineOf(at)}: imports ${path.relative(src, target)}, which ${path.relative(root, path.join(unit, 'DEPS.list'))} does not allow`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkDeps(root);
  for (const p of problems) process.stderr.write(`${p}\n`);
  if (problems.length) {
    process.stderr.write(`\n${problems.length} import(s) against the grain. Change the code, or the folder's DEPS.list when the dependency is intended (say why).\n`);
    process.exit(1);
  }
  process.stdout.write('dependency check: every import of src/ is allowed by its DEPS.list\n');
}
