// An esbuild plugin for `import x from 'https://…'`: fetched at build time, pinned in hangar.lock, served offline from cache.
import type { Loader, OnResolveResult, Plugin } from 'esbuild';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { Pins } from './lockfile.js';
import { fetchRemote, readCached, writeCached, type RemoteOptions } from './remote.js';

const NAMESPACE = 'http-url';
const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.tsx': 'tsx', '.jsx': 'jsx', '.json': 'json', '.css': 'text', '.txt': 'text' };

function loaderFor(url: string): Loader {
  const path = new URL(url).pathname;
  return LOADERS[path.slice(path.lastIndexOf('.'))] ?? 'js';
}

export interface HttpImports {
  plugin: Plugin;
  /** The pins of every HTTP import the build used, to merge into hangar.lock. */
  used: Pins;
}

/** `lock`: what hangar.lock pins already. */
export function httpImports(lock: Readonly<Pins>, options: RemoteOptions): HttpImports {
  const used: Pins = { remote: {}, redirects: {} };
  const loaded = new Map<string, Promise<{ final: string; contents: Buffer }>>();

  /** The module a URL names: pinned ones from the cache, others fetched and pinned; a changed pinned one is an error. */
  async function load(url: string): Promise<{ final: string; contents: Buffer }> {
    const target = lock.redirects[url] ?? url;
    const pinned = lock.remote[target];
    const cached = pinned && (await readCached(pinned, options));
    const result = cached ? { final: target, contents: cached } : await fetchRemote(target, options);
    const integrity = cached ? pinned : await writeCached(result.contents, options);
    const expected = lock.remote[result.final];
    if (expected && expected !== integrity) {
      throw new HangarError(
        ErrorCode.BUILD_FAILED,
        `integrity mismatch for ${result.final}: hangar.lock pins ${expected} but the server sent ${integrity}; if the new content is expected, remove its line from hangar.lock`,
        { details: { url: result.final, pinned: expected, received: integrity } },
      );
    }
    used.remote[result.final] = integrity;
    if (result.final !== url) used.redirects[url] = result.final;
    return result;
  }

  // Loading happens while resolving, so a failure is reported at the import statement that asked for it.
  async function resolve(url: string): Promise<OnResolveResult> {
    let pending = loaded.get(url);
    if (!pending) loaded.set(url, (pending = load(url)));
    try {
      const { final, contents } = await pending;
      loaded.set(final, Promise.resolve({ final, contents }));
      return { path: final, namespace: NAMESPACE };
    } catch (error) {
      return { errors: [{ text: (error as Error).message, detail: error }] };
    }
  }

  const plugin: Plugin = {
    name: 'hangar:http-imports',
    setup(build) {
      build.onResolve({ filter: /^https?:\/\//i }, (args) => resolve(new URL(args.path).href));
      // Inside a fetched module, relative and root-relative imports are URLs too; a bare name has nowhere to come from.
      build.onResolve({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        if (!/^\.{0,2}\//.test(args.path)) {
          return { errors: [{ text: `bare import ${JSON.stringify(args.path)} in ${args.importer} cannot be resolved; import a full https:// URL instead` }] };
        }
        return resolve(new URL(args.path, args.importer).href);
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, async (args) => ({ contents: (await loaded.get(args.path)!).contents, loader: loaderFor(args.path) }));
    },
  };
  return { plugin, used };
}
