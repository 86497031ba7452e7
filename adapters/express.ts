// Express middleware: `app.use(edgeRuntime({ apps }))` answers requests tenant apps own; everything else goes to next().
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from 'express';
import type { EdgeRuntime } from '../core/runtime.js';
import { toRequest, writeResponse } from './node.js';
import { runtimeSource, withRuntime, type AdapterOptions, type WithRuntime } from './runtime-source.js';

export type { AdapterOptions } from './runtime-source.js';

/** Express middleware plus `runtime` (awaiting it builds the apps: do it before listen()) and `close()`. */
export type EdgeRuntimeMiddleware = WithRuntime<(req: ExpressRequest, res: ExpressResponse, next: NextFunction) => void>;

/** Answers one request through the runtime, or hands it to `next()` when no app owns it. */
function answer(runtime: EdgeRuntime, req: ExpressRequest, res: ExpressResponse, next: NextFunction): Promise<void> {
  return runtime.handle(toRequest(req, res, { protocol: req.protocol })).then((response) => {
    if (!response) return next();
    // The tenant answers, not the host: Express's own X-Powered-By is not part of the app's response.
    res.removeHeader('x-powered-by');
    return writeResponse(response, res);
  });
}

export function edgeRuntime(options: AdapterOptions = {}): EdgeRuntimeMiddleware {
  const source = runtimeSource(options);
  // Once created, the runtime is used directly: awaiting its promise on every request cost a turn of the microtask queue.
  let ready: EdgeRuntime | undefined;
  return withRuntime((req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
    // A malformed request throws here, and Express hands what a middleware throws to next() too.
    const answered = ready ? answer(ready, req, res, next) : source.runtime.then((runtime) => answer((ready = runtime), req, res, next));
    answered.catch(next);
  }, source);
}
