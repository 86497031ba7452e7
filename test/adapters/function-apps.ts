// Test helper: a runtime whose tenant apps are plain host functions (no isolate, no build), to exercise adapters alone.
import type { RequestContext } from '../../core/context.js';
import { createDeployment } from '../../core/deployment.js';
import type { Executor } from '../../core/executor.js';
import { FileBlob } from '../../core/files/file-blob.js';
import { createLambda } from '../../core/files/lambda.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { quietRuntime } from '../helpers/kernel.js';

export type AppFunction = (request: Request, context: RequestContext) => Response | Promise<Response>;

/** Each key is an app answering on `<key>.localhost` with its function. */
export async function functionAppsRuntime(apps: Record<string, AppFunction>): Promise<EdgeRuntime> {
  const runtime = quietRuntime();
  const executor: Executor = {
    runtime: 'test-function',
    dispatch: async (request, target, context) => apps[target.deployment.app]!(request, context),
    release: async () => undefined,
    close: async () => undefined,
  };
  runtime.use({
    name: 'test:function-executor',
    apply: (rt) => rt.hooks.executor.tap('test:function-executor', (lambda) => (lambda.runtime === executor.runtime ? executor : undefined)),
  });
  for (const name of Object.keys(apps)) {
    const lambda = await createLambda({ files: { 'index.js': new FileBlob({ data: name }) }, handler: 'index.js', runtime: executor.runtime });
    await runtime.activate(
      createDeployment({ app: name, hostnames: [`${name}.localhost`], output: { index: lambda }, routes: [{ src: '/.*', dest: '/index' }], env: {} }),
    );
  }
  await runtime.start();
  return runtime;
}
