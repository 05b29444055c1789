/**
 * The state folder: where the server keeps what must outlive a process (the import ledger, the
 * embedded sandbox's jobs and points). One folder, chosen by `--state-dir` / `DFI_STATE_DIR`, or by
 * the operating system's conventions for application data:
 * - Linux: `$XDG_DATA_HOME/dfi-ingest-mcp` (default `~/.local/share/dfi-ingest-mcp`);
 * - macOS: `~/Library/Application Support/dfi-ingest-mcp`;
 * - Windows: `%LOCALAPPDATA%\dfi-ingest-mcp\Data`.
 *
 * Its layout, one sub-folder per owner (nothing else writes there):
 *   <stateDir>/ledger/            the import ledger (src/ledger/)
 *   <stateDir>/sandbox/jobs/      the sandbox's jobs and their results
 *   <stateDir>/sandbox/points/    the sandbox's stored points (src/sandbox/store/)
 *   <stateDir>/sandbox/datasets/  the sandbox's datasets as changed through its Datasets API
 * Folders are created on first write, never at start-up.
 */
import path from 'node:path';
import envPaths from 'env-paths';

export const STATE_DIR_NAME = 'dfi-ingest-mcp';

/** The sub-folders of the state folder, relative to it. */
export const STATE_LAYOUT = {
  ledger: 'ledger',
  sandbox: 'sandbox',
  sandboxJobs: path.join('sandbox', 'jobs'),
  sandboxPoints: path.join('sandbox', 'points'),
  sandboxDatasets: path.join('sandbox', 'datasets'),
} as const;

export type StatePart = keyof typeof STATE_LAYOUT;

/** The default state folder, by the OS's conventions for application data. */
export function defaultStateDir(): string {
  return envPaths(STATE_DIR_NAME, { suffix: '' }).data;
}

/** The absolute path of one part of the state folder: `statePath(config.stateDir, 'sandboxJobs')`. */
export function statePath(stateDir: string, part: StatePart): string {
  return path.join(stateDir, STATE_LAYOUT[part]);
}
