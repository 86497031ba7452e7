// The limits one app's isolate runs under: the runtime's, lowered where its Lambda asks for less.
import type { Deployment } from '../../core/deployment.js';
import { deploymentPolicy } from '../../core/outbound.js';
import type { Lambda } from '../../core/files/lambda.js';
import type { Limits } from '../../core/options.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import type { PlatformConfig } from './protocol.js';

export interface IsolateLimits {
  /** Heap limit of the isolate, MiB (isolated-vm's floor is 8). */
  memoryMb: number;
  /** CPU time per request, ms: the request's share of the isolate's CPU time, background work included. */
  cpuMs: number;
  /** Wall-clock time per request, ms: to the response head, and between two body chunks. */
  wallMs: number;
  /** Largest request body the app may read, bytes. */
  bodyBytes: number;
  /** Most timers the app may have pending at once. */
  maxTimers: number;
  /** How long waitUntil work may run after the response head, ms. */
  waitUntilMs: number;
  /** The app's fetch(): timeout, subrequests per request, hosts allowed to be private, and the hop limit. */
  fetch: {
    timeoutMs: number;
    subrequests: number;
    allowHosts: readonly string[];
    maxDepth: number;
  };
}

const MAX_TIMERS = 10_000;

export function limitsFor(limits: Readonly<Limits>, deployment: Deployment, lambda: Lambda): IsolateLimits {
  return {
    memoryMb: Math.max(8, Math.min(limits.memoryMb, lambda.memory ?? Infinity)),
    cpuMs: limits.cpuMs,
    wallMs: Math.min(limits.wallMs, lambda.maxDuration === undefined ? Infinity : lambda.maxDuration * 1000),
    bodyBytes: limits.bodyBytes,
    maxTimers: MAX_TIMERS,
    waitUntilMs: limits.waitUntilMs,
    fetch: { ...deploymentPolicy(deployment, limits), subrequests: limits.subrequests, maxDepth: limits.fetchDepth },
  };
}

/** What every isolate's platform is installed with: the same for every app of a runtime, so spares can have it. */
export function platformConfig(runtime: EdgeRuntime): PlatformConfig {
  return { maxTimers: MAX_TIMERS, userAgent: `hangar/${runtime.version}` };
}
