/**
 * The quick start's main job: `npm run demo` walks the guide against the sandbox. It must work every
 * time it is run on the same machine (the import ledger refuses the same files twice in one state
 * folder), and leave nothing in the person's own state folder.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from '../helpers/env.js';
import { ROOT } from '../helpers/paths.js';

const run = promisify(execFile);

describe('the demo (npm run demo, without its build step)', () => {
  it('ends with the bundled counts twice in a row, and writes nothing to the default state folder', async () => {
    const env = isolatedEnv();
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs')], { cwd: ROOT, env, timeout: 300_000 });
      expect(stdout.trim().split('\n').at(-1)).toBe('Done: finished, 330 rows inserted, 10 rejected.');
    }
    // The isolated HOME holds the OS default state folder: the demo used a temporary one instead.
    const home = env.HOME!;
    const found = fs.existsSync(home) ? fs.readdirSync(home, { recursive: true }).map(String).filter((p) => p.includes('imports.jsonl')) : [];
    expect(found).toEqual([]);
  });
});
