// The guest bootstrap: guest/ bundled by esbuild once per process, with the chunks it loads on first use; compiled in each isolate from V8's code cache.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ivm from 'isolated-vm';
import { ErrorCode, HangarError } from '../../core/errors.js';
import { compileCached, compileCachedSync, type CodeCacheSlot } from './code-cache.js';
import { IDNA_LOADER, lazyIdnaTable, withIdnaLoader } from './lazy-idna-table.js';

/** The bundle's exports name; it is a local of the wrapper function, never a global of the isolate. */
const EXPORTS = '__hangar_guest__';
/** A chunk's exports name, local to its wrapper the same way. */
const CHUNK_EXPORTS = '__hangar_chunk_exports__';
/** The wrapper's local that guest/lazy-chunk.ts loads chunks with. */
const LOAD_CHUNK = '__hangar_chunk__';
/** Chunks compile under the bootstrap's name: stacks show every platform frame as `hangar:bootstrap`. */
const FILENAME = 'hangar:bootstrap';

/**
 * Platform code that guest/ loads on first use (lazy-chunk.ts), by name: an isolate holds its source and its
 * objects only once its app uses it. Their modules are left out of the bootstrap bundle, which imports only their types.
 */
const CHUNKS: Record<string, string> = {
  url: `export { URL, URLSearchParams } from 'whatwg-url';`,
  streams: `export * from 'web-streams-polyfill';`,
  'url-pattern': `export { URLPattern } from 'urlpattern-polyfill/urlpattern';`,
};

/** The bootstrap and its chunks, as made once per process (or taken from the parent process). */
interface Bundles {
  bootstrap: string;
  chunks: Record<string, string>;
}

let bundles: Promise<Bundles> | undefined;
/** The same, once made: the chunk loader is called synchronously from inside an isolate. */
let ready: Bundles | undefined;
const codeCache: CodeCacheSlot = {};
const chunkCaches = new Map<string, CodeCacheSlot>();

/** A guest/ module, as TypeScript source or (in a compiled package) as JavaScript. */
function guestFile(name: string): string {
  const candidates = ['.ts', '.js'].map((ext) => fileURLToPath(new URL(`./guest/${name}${ext}`, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new HangarError(ErrorCode.INTERNAL, `isolate bootstrap: guest/${name} is missing (looked for ${candidates.join(', ')})`);
  return found;
}

const SHARED_OPTIONS = {
  bundle: true,
  write: false as const,
  format: 'iife' as const,
  platform: 'neutral' as const,
  target: 'es2022',
  mainFields: ['module', 'main'],
  define: { 'process.env.NODE_ENV': '"production"' },
  minify: true,
  legalComments: 'none' as const,
  logLevel: 'silent' as const,
};

async function bundleBootstrap(): Promise<string> {
  const result = await build({
    ...SHARED_OPTIONS,
    entryPoints: [guestFile('index')],
    globalName: EXPORTS,
  });
  // The bundle's `var` becomes a local here, so nothing is left on the global. The script's value is a function
  // of the host's IDNA data (lazy-idna-table.ts, for the URL chunk) and chunk loader (runChunk) that returns install().
  return `(function (idnaData, loadChunk) {
'use strict';
var ${LOAD_CHUNK} = function (name) { return loadChunk.applySync(undefined, [name]); };
${withIdnaLoader(result.outputFiles[0]!.text)}
return ${EXPORTS}.install;
})`;
}

/**
 * The free names a chunk's libraries look up, and where they find them: in the object the guest hands the chunk
 * (guest/lazy-chunk.ts), the platform's own whatever the app did to the global since the bootstrap ran (whatwg-url
 * encodes with TextEncoder, web-streams-polyfill takes DOMException from globalThis, tr46 loads its IDNA data).
 */
const CHUNK_PLATFORM = {
  globalThis: 'platform.globalThis',
  TextEncoder: 'platform.TextEncoder',
  TextDecoder: 'platform.TextDecoder',
  [IDNA_LOADER]: 'platform.idna',
};

/** A chunk's script: its value is a function of the platform object that returns the chunk's exports. */
async function bundleChunk(contents: string): Promise<string> {
  const result = await build({
    ...SHARED_OPTIONS,
    stdin: { contents, resolveDir: dirname(guestFile('index')), loader: 'js' },
    globalName: CHUNK_EXPORTS,
    define: { ...SHARED_OPTIONS.define, ...CHUNK_PLATFORM },
    plugins: [lazyIdnaTable()],
  });
  return `'use strict';\n(function (platform) {\n${result.outputFiles[0]!.text}\nreturn ${CHUNK_EXPORTS};\n})`;
}

async function bundle(): Promise<Bundles> {
  const names = Object.keys(CHUNKS);
  const [bootstrap, ...chunks] = await Promise.all([bundleBootstrap(), ...names.map((name) => bundleChunk(CHUNKS[name]!))]);
  return { bootstrap: bootstrap!, chunks: Object.fromEntries(names.map((name, index) => [name, chunks[index]!])) };
}

function made(): Promise<Bundles> {
  bundles ??= bundle().then(
    (done) => (ready = done),
    (error: unknown) => {
      bundles = undefined;
      throw new HangarError(ErrorCode.INTERNAL, `isolate bootstrap: bundling guest/ failed: ${(error as Error).message}`, { cause: error });
    },
  );
  return bundles;
}

/** The bootstrap and its chunks as one string, for a child process (useBootstrapSource); bundled on first use, retried after a failure. */
export async function bootstrapSource(): Promise<string> {
  return JSON.stringify(await made());
}

/**
 * Compiles and runs a chunk in `context` (from its code cache after the first time), for the guest's loader:
 * called synchronously from inside the isolate, it hands back the chunk's function.
 */
export function runChunk(isolate: ivm.Isolate, context: ivm.Context, name: unknown): ivm.Dereference<unknown> {
  if (typeof name !== 'string' || !ready || !Object.hasOwn(ready.chunks, name)) throw new HangarError(ErrorCode.INTERNAL, `isolate bootstrap: no chunk ${String(name)}`);
  let slot = chunkCaches.get(name);
  if (!slot) chunkCaches.set(name, (slot = {}));
  return compileCachedSync(isolate, ready.chunks[name]!, FILENAME, slot).runSync(context, { reference: true, release: true }).derefInto({ release: true });
}

/** Compiles the bootstrap in an isolate, from the code cache the first compile in this process produced. */
export async function compileBootstrap(isolate: ivm.Isolate): Promise<ivm.Script> {
  return compileCached(isolate, (await made()).bootstrap, FILENAME, codeCache);
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
 * Replaces the code caches with ones written in `isolate`, whose bootstrap has run requests: compiling the same
 * source and origin again there returns V8's script with every function compiled so far (see bootstrap-warm-up.ts).
 * The chunks that isolate loaded are recached the same way.
 */
export async function recacheBootstrap(isolate: ivm.Isolate): Promise<void> {
  const { bootstrap, chunks } = await made();
  const recache = async (source: string, slot: CodeCacheSlot) => {
    const script = (await isolate.compileScript(source, { filename: FILENAME, produceCachedData: true })) as ivm.Script & ivm.CachedDataResult;
    if (script.cachedData) slot.cache = script.cachedData;
  };
  await recache(bootstrap, codeCache);
  for (const [name, slot] of chunkCaches) await recache(chunks[name]!, slot);
}

/** A child process takes the bundles its parent made (bootstrapSource), so esbuild runs once however many processes there are. */
export function useBootstrapSource(code: string): void {
  ready = JSON.parse(code) as Bundles;
  bundles = Promise.resolve(ready);
}
