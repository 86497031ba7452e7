// Test fixtures for the builders: app folders written to a temp dir, a runtime that builds them, and a vm to run Lambdas.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import type { Deployment } from '../../../core/deployment.js';
import type { Lambda } from '../../../core/files/lambda.js';
import { streamToBuffer } from '../../../core/files/stream.js';
import { EdgeRuntime } from '../../../core/runtime.js';
import { BuildersPlugin } from '../../../plugins/builders/index.js';
import { CachePlugin } from '../../../plugins/cache/index.js';
import { LayersPlugin } from '../../../plugins/layers/index.js';

/** Writes `files` (path → text) into a fresh folder named `name` and returns its path. */
export async function appDir(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'hangar-builders-')), name);
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** A quiet runtime with the cache, layers and builders plugins, closed when the test ends. */
export function buildRuntime(t: { teardown(fn: () => unknown): void }): EdgeRuntime {
  const runtime = new EdgeRuntime({ logger: { level: 'silent' } });
  runtime.use(new CachePlugin()).use(new LayersPlugin()).use(new BuildersPlugin());
  t.teardown(() => runtime.close());
  return runtime;
}

export async function deployOne(runtime: EdgeRuntime, dir: string): Promise<Deployment> {
  const [deployment] = await runtime.deploy(dir);
  if (!deployment) throw new Error(`no deployment for ${dir}`);
  return deployment;
}

export async function text(file: { toStream(): NodeJS.ReadableStream }): Promise<string> {
  return (await streamToBuffer(file.toStream())).toString('utf8');
}

/** Runs an edge Lambda's script in a fresh vm context, in either app style, and answers one request. */
export async function runLambda(lambda: Lambda, request: Request, env: Record<string, string> = {}): Promise<Response> {
  const listeners: ((event: unknown) => void)[] = [];
  const context = vm.createContext({ Request, Response, Headers, URL, TextEncoder, TextDecoder, addEventListener: (_: string, fn: (event: unknown) => void) => listeners.push(fn) });
  vm.runInContext(await text(lambda.files[lambda.handler]!), context, { filename: lambda.handler });
  const entry = (context as { __hangar_entry__?: { default?: { fetch(r: Request, e: unknown, c: unknown): Promise<Response> } } }).__hangar_entry__;
  if (entry?.default?.fetch) return entry.default.fetch(request, env, { waitUntil() {} });
  let answer: Response | Promise<Response> | undefined;
  for (const listener of listeners) listener({ request, respondWith: (r: Response | Promise<Response>) => void (answer = r) });
  if (!answer) throw new Error('the script neither exported fetch nor answered a fetch event');
  return answer;
}
