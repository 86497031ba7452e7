// Checks what a builder's build() returned and normalizes it: v3's one Lambda or the older Files map, routes, watch.
import type { Output } from '../../core/deployment.js';
import type { Route } from '../../core/layer.js';
import { routeProblem } from '../../core/router.js';

export interface NormalizedResult {
  /** Output path (no leading slash) → file or Lambda. */
  output: Record<string, Output>;
  routes: Route[];
  watch: string[];
}

const FILE_TYPES = new Set(['FileBlob', 'FileFsRef', 'FileRef']);

/** What is wrong with an output value, or undefined when it is a File or a Lambda made by createLambda. */
function outputProblem(value: unknown): string | undefined {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') return `is ${v === null ? 'null' : typeof v}, not a File or a Lambda`;
  if (v.type === 'Lambda') {
    if (typeof v.handler !== 'string' || typeof v.runtime !== 'string' || !v.files || typeof v.files !== 'object') return 'is a Lambda without files, handler or runtime';
    if (typeof v.digest !== 'string') return 'is a Lambda that was not made by createLambda() (it has no digest)';
    return undefined;
  }
  if (!FILE_TYPES.has(v.type as string)) return `has type ${JSON.stringify(v.type)}; expected FileBlob, FileFsRef, FileRef or Lambda`;
  if (typeof v.toStream !== 'function' || !Number.isInteger(v.mode)) return `is a ${String(v.type)} without toStream() or a numeric mode`;
  return undefined;
}

/** What is wrong with a Files map (prepareCache's answer), or undefined. */
export function filesProblem(files: unknown): string | undefined {
  if (!files || typeof files !== 'object') return 'must be a map of paths to Files';
  for (const [path, file] of Object.entries(files)) {
    if (!outputPath(path)) return `has the path ${JSON.stringify(path)}, which is not relative`;
    const problem = (file as { type?: unknown })?.type === 'Lambda' ? 'is a Lambda, not a File' : outputProblem(file);
    if (problem) return `${JSON.stringify(path)} ${problem}`;
  }
  return undefined;
}

/** A clean relative output path, or undefined when it is empty or climbs out with `..`. */
function outputPath(key: string): string | undefined {
  const path = key.replace(/^\/+/, '');
  return path && !path.split('/').some((part) => part === '..' || part === '') ? path : undefined;
}

/** The output path of a v3 Lambda: the entrypoint without its extension (`api/user.ts` → `api/user`). */
export function lambdaPath(entrypoint: string): string {
  return entrypoint.replace(/(?<=[^/])\.[^./]+$/, '');
}

/** Throws an Error saying what is wrong; the host wraps it with the app, builder and entrypoint. */
export function normalizeResult(result: unknown, entrypoint: string): NormalizedResult {
  const r = result as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') throw new Error(`build() returned ${r === null ? 'null' : typeof r}; it must return { output, routes?, watch? }`);
  const output: Record<string, Output> = {};
  const value = r.output as Record<string, unknown> | undefined;
  if (value && typeof value === 'object' && value.type === 'Lambda') {
    const problem = outputProblem(value);
    if (problem) throw new Error(`build() output ${problem}`);
    output[lambdaPath(entrypoint)] = value as unknown as Output;
  } else if (value && typeof value === 'object' && !('type' in value)) {
    for (const [key, item] of Object.entries(value)) {
      const path = outputPath(key);
      if (!path) throw new Error(`build() output path ${JSON.stringify(key)} is not a relative path`);
      const problem = outputProblem(item);
      if (problem) throw new Error(`build() output ${JSON.stringify(key)} ${problem}`);
      output[path] = item as Output;
    }
  } else {
    throw new Error('build() returned no "output": give one Lambda (version 3) or a map of paths to Files and Lambdas');
  }
  const routes = r.routes ?? [];
  if (!Array.isArray(routes)) throw new Error('build() "routes" must be an array of routes');
  routes.forEach((route, i) => {
    const problem = routeProblem(route);
    if (problem) throw new Error(`build() routes[${i}] ${problem}`);
  });
  const watch = r.watch ?? [];
  if (!Array.isArray(watch) || watch.some((w) => typeof w !== 'string')) throw new Error('build() "watch" must be an array of paths or globs');
  return { output, routes: routes as Route[], watch: watch as string[] };
}
