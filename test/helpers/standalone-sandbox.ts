/** The built sandbox run alone (`dfi-ingest-mcp sandbox --port 0`), as curl or dfipy would use it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { isolatedEnv } from './env.js';
import { DIST_ENTRY, ROOT } from './paths.js';

export interface StandaloneSandbox {
  url: string;
  child: ChildProcess;
  stderr(): string;
  close(): Promise<void>;
}

export async function startStandaloneSandbox(args: string[] = [], env: Record<string, string> = {}): Promise<StandaloneSandbox> {
  const child = spawn(process.execPath, [DIST_ENTRY, 'sandbox', '--port', '0', ...args], { cwd: ROOT, env: isolatedEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
  const chunks: string[] = [];
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      chunks.push(String(d));
      const m = /listening at (http:\/\/\S+)/.exec(chunks.join(''));
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited (${code}): ${chunks.join('')}`)));
  });
  return {
    url,
    child,
    stderr: () => chunks.join(''),
    async close() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
