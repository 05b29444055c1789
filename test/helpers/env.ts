import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The environment of every process a test spawns (the server, the sandbox alone, the packed
 * package, the MCP Inspector): the test runner's environment without anything that describes the
 * developer's own set-up, a fresh, empty HOME, and a fresh state folder.
 *
 * Removed: every AWS_* and DFI_* variable (a developer's AWS profile or DFI token must not reach a
 * test server), npm_* (set by `npm test`; they would steer a nested npm), and the XDG/AppData
 * folders (pointed inside the fresh HOME instead), so that `~/.aws`, `~/.config` and the default
 * state folder are the test's own. DFI_STATE_DIR is a fresh folder too, so that no test reads or
 * writes the person's import ledger or sandbox jobs, nor another test's. `extra` is applied last; a
 * value of undefined removes a variable.
 */
export function isolatedEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const home = freshDir('home-');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(AWS_|DFI_|npm_)/i.test(k) || /^(XDG_[A-Z]+_HOME|APPDATA|LOCALAPPDATA|USERPROFILE|HOME)$/i.test(k)) continue;
    env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    APPDATA: path.join(home, 'AppData', 'Roaming'),
    LOCALAPPDATA: path.join(home, 'AppData', 'Local'),
    DFI_STATE_DIR: freshStateDir(),
    // No instance-metadata probe from a test machine that happens to be an EC2 instance.
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** A fresh, empty state folder (`--state-dir` / `DFI_STATE_DIR`) for one spawned server. */
export function freshStateDir(): string {
  return freshDir('dfi-state-');
}

/** An empty folder inside the run's scratch folder (test/global-setup.ts removes it after the run). */
function freshDir(prefix: string): string {
  const scratch = process.env.DFI_TEST_SCRATCH && fs.existsSync(process.env.DFI_TEST_SCRATCH) ? process.env.DFI_TEST_SCRATCH : os.tmpdir();
  return fs.mkdtempSync(path.join(scratch, prefix));
}

