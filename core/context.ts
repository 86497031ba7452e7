// RequestContext: what travels with one request through the hooks, the router and the executor.
import type { Logger } from 'pino';
import type { Deployment } from './deployment.js';

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
