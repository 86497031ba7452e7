// glob: matches files under an absolute cwd (dotfiles included, files only) into FileFsRefs, as in the Now Runtime API.
import { lstat } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { glob as tinyglob } from 'tinyglobby';
import { FileFsRef } from './file-fs-ref.js';

export interface GlobOptions {
  cwd: string;
  ignore?: string[];
}

export async function glob(pattern: string, opts: GlobOptions | string, mountpoint?: string): Promise<Record<string, FileFsRef>> {
  const options = typeof opts === 'string' ? { cwd: opts } : opts;
  if (!options?.cwd || !isAbsolute(options.cwd)) throw new TypeError(`glob: "cwd" must be an absolute path, got ${JSON.stringify(options?.cwd)}`);
  const paths = await tinyglob(pattern, {
    cwd: options.cwd,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    expandDirectories: false,
    ignore: options.ignore ?? [],
  });
  const out: Record<string, FileFsRef> = {};
  await Promise.all(
    paths.sort().map(async (rel) => {
      const fsPath = join(options.cwd, rel);
      const stat = await lstat(fsPath);
      const key = mountpoint ? posix.join(mountpoint, rel) : rel;
      out[key] = new FileFsRef({ fsPath, mode: stat.mode });
    }),
  );
  return out;
}
