import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh, empty state folder (`--state-dir` / `DFI_STATE_DIR`) for one spawned server. */
export function freshStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-state-'));
}

/**
 * The environment for a spawned server: this process's, without any DFI_ setting of the developer's,
 * and with its own empty state folder, so that no test reads or writes the person's import ledger
 * or sandbox jobs, nor another test's.
 */
export function serverEnv(extra: Record<string, string> = {}, drop: (key: string) => boolean = () => false): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('DFI_') && !drop(k)) env[k] = v;
  return { ...env, DFI_STATE_DIR: freshStateDir(), ...extra };
}
