// rename: maps the paths of a Files object through a function, as in the Now Runtime API.
import type { Files } from './types.js';

export function rename<T extends Files>(files: T, fn: (path: string) => string): T {
  const out: Files = {};
  for (const [path, file] of Object.entries(files)) out[fn(path)] = file;
  return out as T;
}
