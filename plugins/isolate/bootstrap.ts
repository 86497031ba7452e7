// The guest bootstrap: guest/ bundled by esbuild once per process, compiled in each isolate from V8's code cache.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ivm from 'isolated-vm';
import { ErrorCode, HangarError } from '../../core/errors.js';
import { compileCached, type CodeCacheSlot } from './code-cache.js';
import { lazyIdnaTable, withIdnaLoader } from './lazy-idna-table.js';

/** The bundle's exports name; it is a local of the wrapper function, never a global of the isolate. */
const EXPORTS = '__hangar_guest__';
const FILENAME = 'hangar:bootstrap';

let source: Promise<string> | undefined;
const codeCache: CodeCacheSlot = {};

/** A guest/ module, as TypeScript source or (in a compiled package) as JavaScript. */
function guestFile(name: string): string {
  const candidates = ['.ts', '.js'].map((ext) => fileURLToPath(new URL(`./guest/${name}${ext}`, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new HangarError(ErrorCode.INTERNAL, `isolate bootstrap: guest/${name} is missing (looked for ${candidates.join(', ')})`);
  return found;
}

async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [guestFile('index')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: EXPORTS,
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    // Libraries that use the TextEncoder/TextDecoder globals get ours, before any global exists.
    inject: [guestFile('encoding')],
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [lazyIdnaTable()],
  });
  // The bundle's `var` becomes a local here, so nothing is left on the global. The script's value is a function
  // of the host's IDNA data (lazy-idna-table.ts) that returns install().
  return `(function (idnaData) {\n'use strict';\n${withIdnaLoader(result.outputFiles[0]!.text)}\nreturn ${EXPORTS}.install;\n})`;
}

/** The bootstrap source, bundled on first use; a failed bundle is retried on the next call. */
export function bootstrapSource(): Promise<string> {
  source ??= bundle().catch((error: unknown) => {
    source = undefined;
    throw new HangarError(ErrorCode.INTERNAL, `isolate bootstrap: bundling guest/ failed: ${(error as Error).message}`, { cause: error });
  });
  return source;
}

/** Compiles the bootstrap in an isolate, from the code cache the first compile in this process produced. */
export async function compileBootstrap(isolate: ivm.Isolate): Promise<ivm.Script> {
  return compileCached(isolate, await bootstrapSource(), FILENAME, codeCache);
}

/** Bundles the bootstrap and fills its code cache ahead of the first request (at runtime start). */
export async function prepareBootstrap(): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  try {
    await compileBootstrap(isolate);
  } finally {
    isolate.dispose();
  }
}

/**
 * Replaces the code cache with one written in `isolate`, whose bootstrap has run requests: compiling the same
 * source and origin again there returns V8's script with every function compiled so far (see bootstrap-warm-up.ts).
 */
export async function recacheBootstrap(isolate: ivm.Isolate): Promise<void> {
  const script = (await isolate.compileScript(await bootstrapSource(), { filename: FILENAME, produceCachedData: true })) as ivm.Script & ivm.CachedDataResult;
  if (script.cachedData) codeCache.cache = script.cachedData;
}

/** A child process takes the bundle its parent made, so esbuild runs once however many processes there are. */
export function useBootstrapSource(code: string): void {
  source = Promise.resolve(code);
}
