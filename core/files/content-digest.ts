// contentDigest: a file's `sha:<hex>`, remembered per path on disk while its stat (as glob saw it) is unchanged.
import type { Stats } from 'node:fs';
import { shaDigest } from './blob-store.js';
import type { FileFsRef } from './file-fs-ref.js';
import { fileBytes } from './stream.js';
import type { File } from './types.js';

/** The lstat glob took of each FileFsRef it made. */
const stats = new WeakMap<FileFsRef, Stats>();

/** What the digest of a path on disk was, and the stat it was taken under. */
const known = new Map<string, { stat: string; digest: string }>();

/**
 * A file changed within this window may change again within the same timestamp tick, so its digest is not
 * trusted from the stat alone (git's "racily clean" entries).
 */
const RACY_MS = 2_000;

export function rememberStat(file: FileFsRef, stat: Stats): void {
  stats.set(file, stat);
}

function statKey(stat: Stats): string | undefined {
  if (Date.now() - Math.max(stat.mtimeMs, stat.ctimeMs) < RACY_MS) return undefined;
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mode}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/** Reads only what it must: a FileRef knows its digest; a globbed file unchanged on disk is not read again. */
export async function contentDigest(file: File): Promise<string> {
  if (file.type === 'FileRef') return file.digest;
  const stat = file.type === 'FileFsRef' ? stats.get(file) : undefined;
  const key = stat && statKey(stat);
  if (file.type === 'FileFsRef' && key && known.get(file.fsPath)?.stat === key) return known.get(file.fsPath)!.digest;
  const digest = shaDigest(await fileBytes(file));
  if (file.type === 'FileFsRef' && key) known.set(file.fsPath, { stat: key, digest });
  return digest;
}
