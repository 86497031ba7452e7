// download: writes Files into a directory (only what changed, in dev), as in the Now Runtime API.
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { FileFsRef } from './file-fs-ref.js';
import { streamToBuffer } from './stream.js';
import { isSymbolicLink, type Files } from './types.js';

export interface DownloadMeta {
  isDev?: boolean;
  /** In dev, only these paths are written (all when absent). */
  filesChanged?: string[];
  /** In dev, these paths are deleted from `dst`. */
  filesRemoved?: string[];
}

function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (full !== root && !full.startsWith(root + sep)) throw new Error(`download: path ${JSON.stringify(path)} escapes the destination`);
  return full;
}

export async function download(files: Files, dst: string, meta: DownloadMeta = {}): Promise<Record<string, FileFsRef>> {
  const root = resolve(dst);
  const changed = meta.isDev && meta.filesChanged ? new Set(meta.filesChanged) : undefined;
  const out: Record<string, FileFsRef> = {};
  await Promise.all(
    (meta.isDev ? meta.filesRemoved ?? [] : []).map((path) => rm(inside(root, path), { force: true })),
  );
  await Promise.all(
    Object.entries(files).map(async ([path, file]) => {
      const fsPath = inside(root, path);
      if (!changed || changed.has(path)) {
        if (isSymbolicLink(file.mode)) {
          await mkdir(dirname(fsPath), { recursive: true });
          await rm(fsPath, { force: true });
          await symlink((await streamToBuffer(file.toStream())).toString('utf8'), fsPath);
        } else {
          await FileFsRef.fromStream({ stream: file.toStream(), fsPath, mode: file.mode, contentType: file.contentType });
        }
      }
      out[path] = new FileFsRef({ fsPath: join(root, path), mode: file.mode, contentType: file.contentType });
    }),
  );
  return out;
}
