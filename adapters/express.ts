// Express middleware: `app.use(edgeRuntime({ apps }))` answers requests tenant apps own; everything else goes to next().
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import type { EdgeRuntime } from '../core/runtime.js';
import { toRequest, writeResponse } from './node.js';
import { runtimeSource, withRuntime, type AdapterOptions, type WithRuntime } from './runtime-source.js';

export type { AdapterOptions } from './runtime-source.js';

/** Express middleware plus `runtime` (awaiting it builds the apps: do it before listen()) and `close()`. */
export type EdgeRuntimeMiddleware = WithRuntime<(req: ExpressRequest, res: ExpressResponse, next: NextFunction) => void>;

/** Answers one request through the runtime, or hands it to `next()` when no app owns it. */
async function answer(runtime: Promise<EdgeRuntime>, req: ExpressRequest, res: ExpressResponse, next: NextFunction): Promise<void> {
  const response = await (await runtime).handle(toRequest(req, res, { protocol: req.protocol }));
  if (!response) return next();
  // The tenant answers, not the host: Express's own X-Powered-By is not part of the app's response.
  res.removeHeader('x-powered-by');
  await writeResponse(response, res);
}

export function edgeRuntime(options: AdapterOptions = {}): EdgeRuntimeMiddleware {
  const source = runtimeSource(options);
  return withRuntime((req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
    answer(source.runtime, req, res, next).catch(next);
  }, source);
}
