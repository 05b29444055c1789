import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './paths.js';

/** One snapshot per tool, as the client sees it in tools/list: test/e2e/toolsnaps/<tool>.json. */
export const TOOLSNAPS_DIR = path.join(ROOT, 'test', 'e2e', 'toolsnaps');
const UPDATE = process.env.UPDATE_TOOLSNAPS === '1';
const IN_CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
const HOW = 'If the change is intended: UPDATE_TOOLSNAPS=1 npx vitest run test/e2e/server.test.ts, and review the diff of test/e2e/toolsnaps/.';

/**
 * Compares every tool with its snapshot. UPDATE_TOOLSNAPS=1 (re)writes them and removes those of
 * tools that are gone. A missing snapshot fails under CI (CI=true) and is written otherwise; a
 * snapshot without a tool always fails.
 */
export function expectToolSnapshots(tools: { name: string }[]): void {
  fs.mkdirSync(TOOLSNAPS_DIR, { recursive: true });
  const names = new Set(tools.map((t) => t.name));
  for (const f of fs.readdirSync(TOOLSNAPS_DIR).filter((f) => f.endsWith('.json'))) {
    if (names.has(f.slice(0, -'.json'.length))) continue;
    if (UPDATE) fs.rmSync(path.join(TOOLSNAPS_DIR, f));
    else expect.fail(`test/e2e/toolsnaps/${f} has no tool of that name any more. ${HOW}`);
  }
  for (const tool of tools) {
    const file = path.join(TOOLSNAPS_DIR, `${tool.name}.json`);
    const json = `${JSON.stringify(tool, null, 2)}\n`;
    if (UPDATE || (!fs.existsSync(file) && !IN_CI)) {
      fs.writeFileSync(file, json);
      continue;
    }
    if (!fs.existsSync(file)) expect.fail(`test/e2e/toolsnaps/${tool.name}.json is missing (CI writes no snapshots). ${HOW}`);
    expect(tool, `tools/list changed for ${tool.name}. ${HOW}`).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
}
