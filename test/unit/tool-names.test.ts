import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/server.js';
import { ROOT } from '../helpers/paths.js';

/** Every snake_case name that reads like a tool (get_x, put_x, list_x, check_x, ...) in a string of the sources. */
function toolLikeNames(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        // Strings only: '...', "...", `...` (comments may speak of tools to come).
        const text = fs.readFileSync(p, 'utf8');
        for (const s of text.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)) {
          for (const m of s[0].matchAll(/\b(?:get|put|list|check|abort|infer|prepare|add|run|query|preview|create|delete)_[a-z0-9_]+\b/g)) found.set(m[0], path.relative(ROOT, p));
        }
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return found;
}

describe('hints and next steps', () => {
  it('name only tools that exist', () => {
    const tools = new Set(TOOLS.map((t) => t.name));
    // Names of checks and fields, not tools.
    const notTools = new Set(['list_bucket', 'get_object', 'query_stream_invalid', 'query_error']);
    const unknown = [...toolLikeNames()].filter(([n]) => !tools.has(n) && !notTools.has(n));
    expect(unknown).toEqual([]);
  });
});
