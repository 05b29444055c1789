import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helpers/paths.js';

/**
 * Runs once before any test file: builds dist/ from the current sources (e2e tests run the built
 * server, so `npx vitest` never tests a stale build), and makes the run's scratch folder for the
 * HOMEs of spawned processes (test/helpers/env.ts). DFI_TEST_SKIP_BUILD=1 skips the build when the
 * caller has just built.
 */
export default function setup(): () => void {
  if (process.env.DFI_TEST_SKIP_BUILD !== '1') {
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-test-run-'));
  process.env.DFI_TEST_SCRATCH = scratch;
  return () => fs.rmSync(scratch, { recursive: true, force: true });
}
