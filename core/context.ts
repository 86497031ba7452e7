// RequestContext: what travels with one request through the hooks, the router and the executor; and the kernel's.
import type { Logger } from 'pino';
import type { Deployment } from './deployment.js';
import { requestId as newRequestId } from './request-id.js';

export interface RequestContext {
  /** Unique per request; sent back as `x-request-id` and put on every log line. */
  readonly requestId: string;
  /** `performance.now()` when the request arrived. */
  readonly receivedAt: number;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  logger: Logger;
  /** Set once `resolveApp` matched. */
  deployment?: Deployment;
  /** Keeps background work alive after the response (ctx.waitUntil in apps). */
  waitUntil(promise: Promise<unknown>): void;
}

/** A structured log line from a plugin or an app, as seen by the `log` hook. */
export interface LogRecord {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  message: string;
  /** The app that logged it, for app console output. */
  app?: string;
  requestId?: string;
  [key: string]: unknown;
}

/** Where a request's context sends what outlives the request: its logger's parent and its background work. */
export interface ContextOwner {
  readonly logger: Logger;
  /** Keeps `work` (already guarded against rejection) alive until it settles; close() waits for it. */
  keepAlive(work: Promise<unknown>): void;
}

/**
 * The kernel's RequestContext. A class, so a request allocates one small object: the logger (a pino child, a
 * measurable share of a request's time) and the signal (an adapter's lazy request builds it, and a close listener,
 * only then) are made when first read.
 */
export class KernelContext implements RequestContext {
  readonly receivedAt = performance.now();
  deployment?: Deployment;
  private childLogger?: Logger;

  constructor(
    private readonly owner: ContextOwner,
    private readonly request: Request,
    readonly requestId: string = newRequestId(),
  ) {}

  get signal(): AbortSignal {
    return this.request.signal;
  }

  get logger(): Logger {
    return (this.childLogger ??= this.owner.logger.child(this.deployment ? { requestId: this.requestId, app: this.deployment.app } : { requestId: this.requestId }));
  }

  set logger(value: Logger) {
    this.childLogger = value;
  }

  waitUntil(promise: Promise<unknown>): void {
    this.owner.keepAlive(promise.catch((error: unknown) => this.owner.logger.warn({ requestId: this.requestId, err: error }, 'waitUntil work failed')));
  }
}
