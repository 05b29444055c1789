/**
 * Compression, said once: which keys are compressed, what that means for an import, and, when a glob
 * matches nothing, a glob that would match the keys that are there.
 *
 * The importer reads files as they are. The platform's behaviour with gzip is not documented, and
 * the sandbox reads plain CSV only, so every check of a source whose files are compressed says so.
 */
export type Compression = 'gzip' | 'bzip2' | 'zstd' | 'xz' | 'zip' | 'snappy';

const BY_EXTENSION: [RegExp, Compression][] = [
  [/\.(gz|gzip|tgz)$/i, 'gzip'],
  [/\.(bz2|bzip2)$/i, 'bzip2'],
  [/\.(zst|zstd)$/i, 'zstd'],
  [/\.xz$/i, 'xz'],
  [/\.zip$/i, 'zip'],
  [/\.(snappy|sz)$/i, 'snappy'],
];

/** The compression a key's name says, if any. */
export function compressionOfKey(key: string): Compression | undefined {
  const name = key.replace(/[?#].*$/, '');
  return BY_EXTENSION.find(([re]) => re.test(name))?.[1];
}

/** The compression the first bytes say (magic numbers), if any. */
export function compressionOfBytes(head: Uint8Array): Compression | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  return undefined;
}

/** The warning every check of a source with compressed files gives. */
export function compressionWarning(compressed: number, of: number, examples: string[], kind: string, what = 'matching'): string {
  const which = of === compressed ? (compressed === 1 ? `The ${what} file is` : `All ${compressed} ${what} files are`) : `${compressed} of the ${of} ${what} files are`;
  return `${which} ${kind}-compressed (e.g. ${examples.slice(0, 3).join(', ')}). The importer reads files as they are: the platform's handling of compressed files is not documented, and the sandbox reads plain CSV only, so the import would most likely reject every row. Import plain CSV copies instead: prepare_files reads compressed files and writes plain CSV to a staging prefix (or decompress and upload them yourself).`;
}

/** Counts compressed keys among `keys`: the first few, and the most common kind. */
export class CompressionCount {
  count = 0;
  of = 0;
  readonly examples: string[] = [];
  readonly #kinds = new Map<Compression, number>();

  add(key: string): void {
    this.of++;
    const c = compressionOfKey(key);
    if (!c) return;
    this.count++;
    this.#kinds.set(c, (this.#kinds.get(c) ?? 0) + 1);
    if (this.examples.length < 5) this.examples.push(key);
  }

  get kind(): Compression | undefined {
    return [...this.#kinds.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  warning(): string | undefined {
    return this.count > 0 ? compressionWarning(this.count, this.of, this.examples, this.kind!) : undefined;
  }
}

/**
 * A glob that would match the keys that are there (relative to the prefix), from their most common
 * file extension: "*.csv.gz" for keys beside each other, "**\/*.csv.gz" when some are in sub-folders.
 */
export function proposeGlob(relativeKeys: string[]): string | undefined {
  const exts = new Map<string, number>();
  let nested = false;
  for (const k of relativeKeys) {
    if (k.includes('/')) nested = true;
    const name = k.slice(k.lastIndexOf('/') + 1);
    if (name.startsWith('_') || name.startsWith('.')) continue; // _SUCCESS, .keep markers
    const m = /(\.[A-Za-z0-9]{1,8}(?:\.(?:gz|gzip|bz2|zst|xz|zip|snappy))?)$/.exec(name);
    if (m) exts.set(m[1]!.toLowerCase(), (exts.get(m[1]!.toLowerCase()) ?? 0) + 1);
  }
  const best = [...exts.entries()].sort((a, b) => b[1] - a[1] || (/csv/.test(b[0]) ? 1 : 0) - (/csv/.test(a[0]) ? 1 : 0))[0];
  if (!best) return undefined;
  return `${nested ? '**/' : ''}*${best[0]}`;
}

/** Says that a glob matches nothing, shows a few of the keys that are there, and proposes a glob that would match them. */
export function nothingMatches(where: string, glob: string, listing: { total: number; matchedByName: number; firstKeys: string[] }, prefix: string | undefined): string {
  if (listing.total === 0) return `There are no keys under ${where}: check the bucket and the prefix.`;
  const rel = listing.firstKeys.map((k) => k.slice((prefix ?? '').length));
  const proposal = listing.matchedByName > 0 ? `**/${glob.replace(/^\*\*\//, '')}` : proposeGlob(rel);
  return `Nothing under ${where} matches "${glob}" (${listing.total} key(s) there, e.g. ${listing.firstKeys.slice(0, 3).join(', ')}).${proposal && proposal !== glob ? ` The glob "${proposal}" would match ${listing.matchedByName > 0 ? 'the files in sub-folders' : 'them'}.` : ''}`;
}
