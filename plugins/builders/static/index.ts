// The `static` builder: each entrypoint is served as it is, at its path with `config.root` stripped.
import { posix } from 'node:path';
import type { Builder, BuildOptions, BuildResultV2 } from '../../../core/builder.js';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { contentDigest } from '../../../core/files/content-digest.js';
import { streamToBuffer } from '../../../core/files/stream.js';
import { isSymbolicLink, type File, type Files } from '../../../core/files/types.js';

function rootOf(config: BuildOptions['config']): string {
  const root = config.root ?? '';
  if (typeof root !== 'string') throw new HangarError(ErrorCode.CONFIG_INVALID, `static builder: "config.root" must be a folder path, got ${JSON.stringify(root)}`);
  return root.replace(/^\.?\/+|\/+$/g, '');
}

/** Follows a symlink to the file it names inside the app; a link that leaves the app is refused. */
async function followLink(files: Files, path: string, seen = new Set<string>()): Promise<File> {
  const file = files[path]!;
  if (!isSymbolicLink(file.mode)) return file;
  const target = posix.normalize(posix.join(posix.dirname(path), (await streamToBuffer(file.toStream())).toString('utf8')));
  if (seen.has(path) || target.startsWith('../') || posix.isAbsolute(target) || !files[target]) {
    throw new HangarError(ErrorCode.BUILD_FAILED, `static builder: the symlink ${path} does not point at a file of the app`);
  }
  seen.add(path);
  return followLink(files, target, seen);
}

export const staticBuilder: Builder = {
  version: 2,
  async build({ files, entrypoint, config }): Promise<BuildResultV2> {
    const root = rootOf(config);
    const file = await followLink(files, entrypoint);
    const path = root && entrypoint.startsWith(`${root}/`) ? entrypoint.slice(root.length + 1) : entrypoint;
    return { output: { [path]: file } };
  },
  /** One file in, the same file out: the fingerprint is that file and where it lands. */
  async analyze({ files, entrypoint, config }): Promise<string> {
    const file = await followLink(files, entrypoint);
    return JSON.stringify([rootOf(config), entrypoint, await contentDigest(file), file.mode, file.contentType]);
  },
};
