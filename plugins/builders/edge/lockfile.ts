// hangar.lock: the integrity hash of every HTTP import an app's bundle used, pinned beside the app's source.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ErrorCode, HangarError } from '../../../core/errors.js';

export const LOCK_FILE = 'hangar.lock';

export interface Pins {
  /** URL → `sha256-<base64>` (Subresource Integrity form) of what it served. */
  remote: Record<string, string>;
  /** Imported URL → the URL it redirected to, so a pinned build never needs the redirect again. */
  redirects: Record<string, string>;
}

interface LockFile extends Partial<Pins> {
  version: 1;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return !!value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'string');
}

export async function readLock(path: string): Promise<Pins> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return { remote: {}, redirects: {} };
  try {
    const lock = JSON.parse(text) as LockFile;
    const { remote = {}, redirects = {} } = lock;
    if (lock.version !== 1 || !isStringMap(remote) || !isStringMap(redirects)) throw new Error('expected { "version": 1, "remote": { url: integrity } }');
    return { remote, redirects };
  } catch (error) {
    throw new HangarError(ErrorCode.BUILD_FAILED, `${path} is not a valid lock file (${(error as Error).message}); fix it or delete it to pin again`, { details: { file: path } });
  }
}

function sorted(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => a.localeCompare(b)));
}

function covers(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([key, value]) => have[key] === value);
}

/** Lock updates per file, chained so two jobs of one app never write over each other. */
const writes = new Map<string, Promise<void>>();

/** Adds pins to the lock file (re-read first, so concurrent jobs merge), writing only when something is new. */
export function addPins(path: string, pins: Pins): Promise<void> {
  const next = (writes.get(path) ?? Promise.resolve()).then(async () => {
    const lock = await readLock(path);
    if (covers(lock.remote, pins.remote) && covers(lock.redirects, pins.redirects)) return;
    const redirects = sorted({ ...lock.redirects, ...pins.redirects });
    const content: LockFile = { version: 1, remote: sorted({ ...lock.remote, ...pins.remote }), ...(Object.keys(redirects).length ? { redirects } : {}) };
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`);
    await rename(temp, path);
  });
  const settled = next.catch(() => undefined);
  writes.set(path, settled);
  void settled.then(() => writes.get(path) === settled && writes.delete(path));
  return next;
}
