// Hono middleware: `app.use('*', edgeRuntime({ apps }))` answers requests tenant apps own; everything else goes to next().
import type { MiddlewareHandler } from 'hono';
import { runtimeSource, withRuntime, type AdapterOptions, type WithRuntime } from './runtime-source.js';

export type { AdapterOptions } from './runtime-source.js';

/** Hono middleware plus `runtime` (awaiting it builds the apps: do it before serving) and `close()`. */
export type EdgeRuntimeMiddleware = WithRuntime<MiddlewareHandler>;

export function edgeRuntime(options: AdapterOptions = {}): EdgeRuntimeMiddleware {
  const source = runtimeSource(options);
  const middleware: MiddlewareHandler = async (c, next) => {
    const response = await (await source.runtime).handle(c.req.raw);
    if (response) return response;
    await next();
  };
  return withRuntime(middleware, source);
}
