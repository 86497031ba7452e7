// The Executor contract: runs a Lambda for a request. The isolate executor serves runtime `edge`.
import type { Deployment } from './deployment.js';
import type { Lambda } from './files/lambda.js';
import type { RequestContext } from './context.js';

export interface DispatchTarget {
  deployment: Deployment;
  lambda: Lambda;
  /** The output path the router chose (the Lambda's key in `deployment.output`). */
  path: string;
}

export interface Executor {
  /** The Lambda runtime it serves, such as `edge`. */
  readonly runtime: string;
  /** Answers one request. Failures come back as HangarErrors (limits, app exceptions), never crash the host. */
  dispatch(request: Request, target: DispatchTarget, context: RequestContext): Promise<Response>;
  /** Frees what a deployment holds (isolates, code caches) once it no longer serves. */
  release(deployment: Deployment): Promise<void>;
  close(): Promise<void>;
}
