// Content digests of a module's files, read once per build, for workspace syncing and build fingerprints.
import { contentDigest } from '../../core/files/content-digest.js';
import type { File, Files } from '../../core/files/types.js';
import { mapLimit } from './limit.js';

/** The digest of a file's content plus its mode, so a chmod counts as a change. */
async function fileDigest(file: File): Promise<string> {
  return `${await contentDigest(file)}:${file.mode}`;
}

export async function digestFiles(files: Files): Promise<Record<string, string>> {
  const paths = Object.keys(files).sort();
  const digests = await mapLimit(paths, 16, (path) => fileDigest(files[path]!));
  return Object.fromEntries(paths.map((path, i) => [path, digests[i]!]));
}
