/**
 * A folder walked for its plain files: the sandbox's bucket folders (sources/files.ts) and
 * prepare_files' folder stores. No symlink is ever followed.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The files under `dir`, as `/`-separated paths relative to `base`, sorted; symlinks and specials ignored. */
export async function walk(dir: string, base: string, out: string[], limit: number): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (out.length >= limit) return;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, base, out, limit);
    else if (e.isFile()) out.push(path.relative(base, full).split(path.sep).join('/'));
    // Symlinks, devices, FIFOs and sockets are ignored: a bucket holds plain files only.
  }
}
