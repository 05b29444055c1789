/**
 * Local files that a tool may read (infer_csv_format's `path`): only inside the allowed folders, and
 * the check is made on the file actually opened, not only on the path before opening it.
 *
 * 1. A relative path is resolved against the first allowed folder (not the working directory).
 * 2. Its real path (symlinks resolved) must lie inside an allowed folder.
 * 3. It is opened without blocking (a FIFO would block) and without following a final symlink; then
 *    `fstat` must show a regular file, and the file actually opened must lie inside the roots (on
 *    Linux its path from /proc/self/fd; elsewhere the real path resolved again must be the same
 *    device and inode): a folder swapped for a symlink between the check and the open is caught.
 * "Missing" and "outside" get the same answer, so that probing says nothing about what exists
 * outside the allowed folders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invalidInput } from '../errors.js';

function notHere(p: string, roots: string[]) {
  return invalidInput(
    `the file ${JSON.stringify(p)} does not exist or is outside the folders this server may read (${roots.length ? roots.join(', ') : 'none'}).`,
    roots.length
      ? 'Give the path of an existing CSV file inside one of those folders, start the server with --sample-root <folder>, or pass a few lines as "sample" instead.'
      : 'No local folder may be read: start the server with --sample-root <folder> (or from a project folder), share the folder as a root in the client, or pass a few lines as "sample" instead.',
  );
}

async function insideRoots(real: string, roots: string[]): Promise<boolean> {
  for (const r of roots) {
    const realRoot = await fs.promises.realpath(r).catch(() => path.resolve(r));
    const rel = path.relative(realRoot, real);
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return true;
  }
  return false;
}

/** Opens `p` for reading if it is a regular file inside the roots; the caller closes the handle. */
export async function openAllowedFile(p: string, roots: string[]): Promise<{ handle: fs.promises.FileHandle; real: string }> {
  if (roots.length === 0) throw notHere(p, roots);
  const abs = path.resolve(roots[0]!, p);
  const real = await fs.promises.realpath(abs).catch(() => null);
  if (!real || !(await insideRoots(real, roots))) throw notHere(p, roots);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    throw notHere(p, roots);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw invalidInput(`${JSON.stringify(p)} is not a regular file.`, 'Give the path of a CSV file.');
    // Where the opened file really is. Linux says it (/proc/self/fd); elsewhere, the real path is
    // resolved again and must name the same file (device and inode) inside the roots.
    const fdPath = await fs.promises.readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (fdPath !== null) {
      if (!(await insideRoots(fdPath, roots))) throw notHere(p, roots);
    } else {
      const again = await fs.promises.realpath(real).catch(() => null);
      const now = again ? await fs.promises.lstat(again).catch(() => null) : null;
      if (!again || !now || now.ino !== opened.ino || now.dev !== opened.dev || !(await insideRoots(again, roots))) throw notHere(p, roots);
    }
    return { handle, real };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The working directory as an implicit sample root, unless it is a place no one means to share as a
 * whole: the file-system root (Claude Desktop starts servers in `/`) or a home folder or above.
 */
export function implicitSampleRoots(cwd: string, home = os.homedir()): string[] {
  const dir = path.resolve(cwd);
  if (path.parse(dir).root === dir) return [];
  const rel = path.relative(dir, path.resolve(home));
  // cwd is home itself, or one of its ancestors (/home, /Users).
  if (home && (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))) return [];
  return [dir];
}

/** The real path of a folder inside the roots (prepare_files' local source); the same answer for missing and outside. */
export async function resolveAllowedFolder(p: string, roots: string[]): Promise<string> {
  if (roots.length === 0) throw notHere(p, roots);
  const real = await fs.promises.realpath(path.resolve(roots[0]!, p)).catch(() => null);
  if (!real || !(await insideRoots(real, roots))) throw notHere(p, roots);
  if (!(await fs.promises.stat(real)).isDirectory()) throw invalidInput(`${JSON.stringify(p)} is not a folder.`, 'Give the folder holding the files, and a glob.');
  return real;
}
