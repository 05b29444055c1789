// The dependency check of `npm run lint` (scripts/check-deps.mjs), run by `npm test` so CI runs it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without types
import { checkDeps } from '../../scripts/check-deps.mjs';
import { ROOT } from '../helpers/paths.js';

function fixture(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-deps-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe('dependency check', () => {
  it("every import of src/ is allowed by its folder's DEPS.list, and no private member of a library is read", () => {
    expect(checkDeps(ROOT)).toEqual([]);
  });

  it('no DEPS.list names a per-file exception: a piece two folders share lives below both', () => {
    const lists = fs.readdirSync(path.join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(ROOT, 'src', e.name, 'DEPS.list'));
    const exceptions = lists.filter((f) => fs.existsSync(f) && /^\[(?!\*\])/m.test(fs.readFileSync(f, 'utf8')));
    expect(exceptions.map((f) => path.relative(ROOT, f))).toEqual([]);
  });

  it('reports an import against the grain, a folder without DEPS.list, and a private member', () => {
    const root = fixture({
      'src/csv/DEPS.list': '../rules\n[one.ts]\n../errors.ts # an exception for one file\n',
      'src/csv/bulk.ts': "import { x } from '../sandbox/store/segment.js';\nimport type { R } from '../rules/values.js';\nimport { e } from '../errors.js';\n",
      'src/csv/one.ts': "import { e } from '../errors.js';\nconst m = await import('../sandbox/x.js');\n",
      'src/net/get.ts': "import {\n  a,\n} from '../csv/bulk.js';\n",
      'src/server.ts': 'const h = (server.server as any)._requestHandlers; const ok = extra._meta;\n',
    });
    try {
      const problems: string[] = checkDeps(root);
      expect(problems).toHaveLength(5);
      expect(problems[0]).toMatch(/^src\/csv\/bulk\.ts:1: imports sandbox\/store\/segment\.ts, which src\/csv\/DEPS\.list does not allow$/);
      expect(problems[1]).toMatch(/^src\/csv\/bulk\.ts:3: imports errors\.ts/);
      expect(problems[2]).toMatch(/^src\/csv\/one\.ts:2: imports sandbox\/x\.ts/);
      expect(problems[3]).toMatch(/^src\/net\/get\.ts:1: imports csv\/bulk\.ts, but src\/net\/DEPS\.list is missing$/);
      expect(problems[4]).toMatch(/^src\/server\.ts:1: reads a private member \(\._requestHandlers\)/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
