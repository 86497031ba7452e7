// Test helpers for the isolate executor: a runtime with it, and apps made of one edge script, activated on <name>.test.
import type { ExecutionContext } from 'ava';
import { IsolatePlugin } from '../../../plugins/isolate/index.js';
import { createDeployment, type Deployment } from '../../../core/deployment.js';
import { FileBlob } from '../../../core/files/file-blob.js';
import { createLambda, type LambdaOptions } from '../../../core/files/lambda.js';
import type { FetchPolicy } from '../../../core/layer.js';
import type { RuntimeOptions } from '../../../core/options.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { quietRuntime } from '../../helpers/kernel.js';

/** A quiet runtime with the memory store and the isolate executor, closed when the test ends. */
export function isolateRuntime(t: ExecutionContext, options: RuntimeOptions = {}): EdgeRuntime {
  const runtime = quietRuntime(options).use(new IsolatePlugin());
  t.teardown(() => runtime.close());
  return runtime;
}

/** The app script of a module-style app, as the edge builder's bundle leaves it. */
export function moduleScript(handler: string): string {
  return `var __hangar_entry__ = (() => ({ default: ${handler} }))();`;
}

export interface AppOptions {
  env?: Record<string, string>;
  lambda?: Partial<Pick<LambdaOptions, 'environment' | 'memory' | 'maxDuration'>>;
  /** The app's hangar.json `fetch` policy. */
  fetch?: FetchPolicy;
  /** Hostnames instead of `<app>.test`. */
  hostnames?: string[];
}

/** A deployment whose every path runs `script`, the way the edge builder's bundles are run. */
export async function edgeApp(app: string, script: string, options: AppOptions = {}): Promise<Deployment> {
  const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: script }) }, handler: 'index.js', runtime: 'edge', ...options.lambda });
  return createDeployment({
    app,
    hostnames: options.hostnames ?? [`${app}.test`],
    output: { index: lambda },
    routes: [{ handle: 'filesystem' }, { src: '/.*', dest: '/index' }],
    env: options.env ?? {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Deploys a one-script app on the runtime and returns its base URL. */
export async function deployScript(runtime: EdgeRuntime, app: string, script: string, options: AppOptions = {}): Promise<string> {
  await runtime.activate(await edgeApp(app, script, options));
  return `http://${app}.test`;
}
