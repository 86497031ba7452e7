// The runtime's options and its limits, each with a default and a knob.
import type { Logger } from 'pino';
import type { Plugin } from './plugin.js';

export interface Limits {
  /** Heap limit per isolate, MiB. */
  memoryMb: number;
  /** CPU time per request, ms. */
  cpuMs: number;
  /** Wall-clock time per request, ms. */
  wallMs: number;
  /** Largest request body an app may receive, bytes. */
  bodyBytes: number;
  /** Timeout of each fetch() an app makes, ms. */
  fetchTimeoutMs: number;
  /** Most fetch() calls one request may make. */
  subrequests: number;
  /** Most isolates one app may hold at once. */
  isolatesPerApp: number;
  /** An app's isolates are torn down after this long without a request, ms. */
  idleMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  memoryMb: 128,
  cpuMs: 1_000,
  wallMs: 10_000,
  bodyBytes: 32 * 1024 * 1024,
  fetchTimeoutMs: 10_000,
  subrequests: 50,
  isolatesPerApp: 1,
  idleMs: 5 * 60_000,
});

export interface RuntimeOptions {
  /** A folder whose subfolders are tenant apps, each served on `<name>.localhost` unless it names hostnames. */
  apps?: string;
  /** Plugins applied after the default ones. */
  plugins?: Plugin[];
  /** Set false to apply only `plugins` (the kernel alone answers nothing). */
  defaultPlugins?: boolean;
  /** Limits for every app; an app's Lambda may lower memory and wall time. */
  limits?: Partial<Limits>;
  /**
   * Store URLs: `default` for every namespace, or one per namespace (`builds`, `blobs`, `cache`...).
   * `memory:` unless set.
   */
  stores?: { default?: string } & Record<string, string | undefined>;
  /** A pino logger to use, or the level of the one Hangar makes (`LOG_LEVEL` or `info` by default). */
  logger?: Logger | { level?: string };
}
