// The `edge` builder: bundles a JS/TS(X) entrypoint with esbuild into one classic script, as a Lambda of runtime `edge`.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { build as esbuild } from 'esbuild';
import type { Builder, BuildResultV3 } from '../../../core/builder.js';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { createLambda } from '../../../core/files/lambda.js';
import { DEFAULT_LIMITS } from '../../../core/options.js';
import { bundleError } from './build-error.js';
import { hangarModules } from './hangar-modules.js';
import { httpImports } from './http-imports.js';
import { JSX_IMPORT_SOURCE, jsxRuntime } from './jsx.js';
import { addPins, LOCK_FILE, readLock } from './lockfile.js';
import { withoutRequireShim } from './require-shim.js';

/**
 * The contract with the isolate executor: running the script either calls addEventListener('fetch', …) or leaves
 * `globalThis.__hangar_entry__.default = { fetch(request, env, ctx) }`. The source map is the Lambda file
 * `index.js.map`, its sources relative to the app folder.
 */
export const ENTRY_GLOBAL = '__hangar_entry__';

/** The bundle's name inside esbuild; it never reaches the disk (write: false), so it only sets where source paths start. */
const BUNDLE = `${ENTRY_GLOBAL}.js`;

export interface EdgeBuilderOptions {
  /** Where HTTP imports are cached by integrity (default `$XDG_CACHE_HOME/hangar/http` or `~/.cache/hangar/http`). */
  httpCacheDir?: string;
  /** Hosts HTTP imports may fetch from although they are private or loopback addresses. Host-owned, never per app. */
  allowHosts?: string[];
  /** Timeout of each HTTP import fetch, ms. */
  fetchTimeoutMs?: number;
}

function optionalNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new HangarError(ErrorCode.CONFIG_INVALID, `edge builder: "config.${key}" must be a number`);
  return value;
}

export function createEdgeBuilder(options: EdgeBuilderOptions = {}): Builder {
  const remote = {
    cacheDir: options.httpCacheDir ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hangar', 'http'),
    allowHosts: options.allowHosts ?? [],
    timeoutMs: options.fetchTimeoutMs ?? DEFAULT_LIMITS.fetchTimeoutMs,
  };
  return {
    version: 3,
    async build({ entrypoint, workPath, sourcePath, config }): Promise<BuildResultV3> {
      // The lock lives with the source, so it is kept and versioned; without a source folder the workPath copy is read.
      const lockPath = join(sourcePath ?? workPath, LOCK_FILE);
      const http = httpImports(await readLock(lockPath), remote);
      const result = await esbuild({
        entryPoints: [join(workPath, entrypoint)],
        absWorkingDir: workPath,
        outfile: join(workPath, BUNDLE),
        bundle: true,
        write: false,
        format: 'iife',
        globalName: ENTRY_GLOBAL,
        platform: 'neutral',
        target: 'es2022',
        mainFields: ['browser', 'module', 'main'],
        conditions: ['worker', 'browser'],
        jsx: 'automatic',
        jsxImportSource: typeof config.jsxImportSource === 'string' ? config.jsxImportSource : JSX_IMPORT_SOURCE,
        sourcemap: 'external',
        sourcesContent: false,
        minify: config.minify === true,
        metafile: true,
        logLevel: 'silent',
        plugins: [hangarModules, http.plugin, jsxRuntime],
      }).catch((error: unknown) => {
        throw bundleError(error);
      });
      if (sourcePath && Object.keys(http.used.remote).length) {
        await addPins(lockPath, http.used).catch((error: NodeJS.ErrnoException) => {
          throw new HangarError(ErrorCode.BUILD_FAILED, `cannot write ${lockPath} (${error.code ?? error.message}); make the app folder writable, or commit a ${LOCK_FILE} that pins every HTTP import`, { cause: error });
        });
      }
      const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
      const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!;
      const lambda = await createLambda({
        files: {
          'index.js': new FileBlob({ data: `${withoutRequireShim(js.text)}//# sourceMappingURL=index.js.map\n`, contentType: 'application/javascript; charset=utf-8' }),
          'index.js.map': new FileBlob({ data: map.text, contentType: 'application/json' }),
        },
        handler: 'index.js',
        runtime: 'edge',
        environment: {},
        memory: optionalNumber(config, 'memory'),
        maxDuration: optionalNumber(config, 'maxDuration'),
      });
      // The local files the bundle read, so dev mode rebuilds this job when one of them changes.
      const watch = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':') && !input.startsWith('..'));
      return { output: lambda, watch: sourcePath ? [...watch, LOCK_FILE] : watch };
    },
  };
}
