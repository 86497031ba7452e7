// The default shouldServe of the Now Runtime API: a build serves its entrypoint's path, or the folder of its index.*.
import { posix } from 'node:path';
import type { ShouldServeOptions } from '../builder.js';

export function shouldServe({ entrypoint, files, requestPath }: Pick<ShouldServeOptions, 'entrypoint' | 'files' | 'requestPath'>): boolean {
  const path = requestPath.replace(/^\/+|\/+$/g, '');
  if (!Object.hasOwn(files, entrypoint)) return false;
  if (path === entrypoint) return true;
  const { dir, name } = posix.parse(entrypoint);
  return name === 'index' && dir === path;
}
