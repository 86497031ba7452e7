// rename: maps the paths of a Files object through a function, as in the Now Runtime API.
import type { File } from './types.js';

export function rename<F extends File>(files: Readonly<Record<string, F>>, fn: (path: string) => string): Record<string, F> {
  const out: Record<string, F> = {};
  for (const [path, file] of Object.entries(files)) out[fn(path)] = file;
  return out;
}
