// Fetches an HTTP import through the SSRF guard, checks it against its pin, and keeps it in a content-addressed disk cache.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { outboundFetch } from '../../../core/outbound.js';

export interface RemoteOptions {
  /** Where fetched modules are kept, by integrity hash, so pinned builds work offline. */
  cacheDir: string;
  /** Hosts allowed although they resolve to private or loopback addresses (tests serve from 127.0.0.1). */
  allowHosts: readonly string[];
  timeoutMs: number;
}

const MAX_REDIRECTS = 5;

export function integrityOf(bytes: Uint8Array): string {
  return `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
}

function cachePath(dir: string, integrity: string): string {
  return join(dir, Buffer.from(integrity.replace(/^sha256-/, ''), 'base64').toString('hex'));
}

/** A pinned module from the cache, when it is there and still matches its pin. */
export async function readCached(integrity: string, options: RemoteOptions): Promise<Buffer | undefined> {
  const cached = await readFile(cachePath(options.cacheDir, integrity)).catch(() => undefined);
  return cached && integrityOf(cached) === integrity ? cached : undefined;
}

export async function writeCached(contents: Buffer, options: RemoteOptions): Promise<string> {
  const integrity = integrityOf(contents);
  await mkdir(options.cacheDir, { recursive: true });
  const file = cachePath(options.cacheDir, integrity);
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, contents);
  await rename(temp, file);
  return integrity;
}

/** GETs a URL, following redirects (each hop through the guard); answers the final URL and the body. */
export async function fetchRemote(url: string, options: RemoteOptions): Promise<{ final: string; contents: Buffer }> {
  let target = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await outboundFetch(new Request(target), { allowHosts: options.allowHosts, timeoutMs: options.timeoutMs });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      target = new URL(location, target).href;
      continue;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new HangarError(ErrorCode.BUILD_FAILED, `HTTP import ${url} answered ${response.status}`, { details: { url } });
    }
    return { final: target, contents: Buffer.from(await response.arrayBuffer()) };
  }
  throw new HangarError(ErrorCode.BUILD_FAILED, `HTTP import ${url} redirected more than ${MAX_REDIRECTS} times`, { details: { url } });
}
