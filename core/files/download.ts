// download: writes Files into a directory (only what changed, when told), as in the Now Runtime API.
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { FileFsRef } from './file-fs-ref.js';
import { streamToBuffer } from './stream.js';
import { isDirectory, isSymbolicLink, type File, type Files } from './types.js';

export interface DownloadMeta {
  isDev?: boolean;
  /** Only these paths are written (all when absent); the others are taken to be in `dst` already. */
  filesChanged?: string[];
  /** These paths are deleted from `dst`. */
  filesRemoved?: string[];
}

function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (full === root || !full.startsWith(root + sep)) throw new Error(`download: path ${JSON.stringify(path)} escapes the destination`);
  return full;
}

async function writeSymlink(file: File, path: string, fsPath: string, root: string): Promise<void> {
  const target = (await streamToBuffer(file.toStream())).toString('utf8');
  // A link may point anywhere inside the destination, never outside it: builders must not reach host files through it.
  if (isAbsolute(target) || !resolve(dirname(fsPath), target).startsWith(root + sep)) {
    throw new Error(`download: symlink ${JSON.stringify(path)} points outside the files (${target})`);
  }
  await mkdir(dirname(fsPath), { recursive: true });
  await rm(fsPath, { force: true });
  await symlink(target, fsPath);
}

/** Writes `files` under `dst` and returns every one of them as a FileFsRef there. */
export async function download(files: Files, dst: string, meta: DownloadMeta = {}): Promise<Record<string, FileFsRef>> {
  const root = resolve(dst);
  const changed = meta.filesChanged ? new Set(meta.filesChanged) : undefined;
  await Promise.all((meta.filesRemoved ?? []).map((path) => rm(inside(root, path), { force: true, recursive: true })));
  const out: Record<string, FileFsRef> = {};
  await Promise.all(
    Object.entries(files).map(async ([path, file]) => {
      const fsPath = inside(root, path);
      out[path] = new FileFsRef({ fsPath, mode: file.mode, contentType: file.contentType });
      if (changed && !changed.has(path)) return;
      if (file.type === 'FileFsRef' && resolve(file.fsPath) === fsPath) return; // already in place; reading it while writing would truncate it
      if (isDirectory(file.mode)) await mkdir(fsPath, { recursive: true });
      else if (isSymbolicLink(file.mode)) await writeSymlink(file, path, fsPath, root);
      else await FileFsRef.fromStream({ stream: file.toStream(), fsPath, mode: file.mode, contentType: file.contentType });
    }),
  );
  return out;
}
