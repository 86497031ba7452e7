// Resolves `{ path }` sources: the files of a local folder, relative to the layer's base directory.
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { ErrorCode, HangarError } from '../../core/errors.js';
import { glob } from '../../core/files/glob.js';
import type { Files } from '../../core/files/types.js';
import type { ResolveContext } from '../../core/hooks.js';
import type { SourceSpec } from '../../core/layer.js';

/** Never part of an app's sources: dependencies, VCS data, and Hangar's own state. */
const IGNORED = ['**/node_modules/**', '.git/**', '.hangar/**'];

export async function resolveLocalSource(source: SourceSpec, context: ResolveContext): Promise<Files | undefined> {
  if (!('path' in source)) return undefined;
  const base = context.layer?.baseDir ?? context.cwd;
  const dir = resolve(base, source.path);
  if (dir !== base && !dir.startsWith(base + sep)) {
    throw new HangarError(ErrorCode.CONFIG_INVALID, `source path ${JSON.stringify(source.path)} leaves its layer's folder ${base}`);
  }
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new HangarError(ErrorCode.NOT_FOUND, `source folder ${dir} does not exist`);
  return glob('**', { cwd: dir, ignore: IGNORED });
}
