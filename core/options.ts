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
  /** Most isolates one app may hold at once (per Lambda, for an app with several); busy ones make room for more. */
  isolatesPerApp: number;
  /** Isolates started for each app Lambda when it is activated, and kept through idle teardown (0: start on demand). */
  isolatesMinPerApp: number;
  /** Most isolates in the process; at the cap, the least recently used idle isolate is torn down to make room. */
  maxIsolates: number;
  /** An isolate whose used heap passes this share of memoryMb after a request is replaced by a fresh one. */
  recycleHeapShare: number;
  /** An app's isolates are torn down after this long without a request, ms. */
  idleMs: number;
  /** How long work an app handed to waitUntil may run after its response, ms. */
  waitUntilMs: number;
  /** Most hops a request may make through apps fetching apps (the x-hangar-depth header); past it, 508. */
  fetchDepth: number;
  /** Largest value (or Cache API response) one cache entry may hold, bytes. */
  cacheValueBytes: number;
  /** Longest cache key (and tag), UTF-8 bytes. */
  cacheKeyBytes: number;
  /** Most tags one cache key may carry. */
  cacheTagsPerKey: number;
  /** Most bytes one app's cache may hold on the memory and SQLite stores (Redis is bounded by its own maxmemory). */
  cacheAppBytes: number;
  /**
   * Most bytes (as stored) one app's cache reads in flight may answer, in practice the reads it starts before awaiting
   * them: a thousand reads of one large value at once would otherwise exhaust the host's memory. Infinity: no limit.
   */
  cacheReadBytes: number;
  /** Most keys one getMulti may name. */
  cacheMultiKeys: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  memoryMb: 128,
  cpuMs: 1_000,
  wallMs: 10_000,
  bodyBytes: 32 * 1024 * 1024,
  fetchTimeoutMs: 10_000,
  subrequests: 50,
  isolatesPerApp: 1,
  isolatesMinPerApp: 0,
  maxIsolates: 1_000,
  recycleHeapShare: 0.75,
  idleMs: 5 * 60_000,
  waitUntilMs: 30_000,
  fetchDepth: 16,
  cacheValueBytes: 8 * 1024 * 1024,
  cacheKeyBytes: 512,
  cacheTagsPerKey: 16,
  cacheAppBytes: 64 * 1024 * 1024,
  cacheReadBytes: 64 * 1024 * 1024,
  cacheMultiKeys: 1_000,
});

/** Where tenant isolates run. */
export interface ExecutorOptions {
  /**
   * `inline`: in this process (needs Node started with --no-node-snapshot). `process`: in supervised child
   * processes, restarted when one dies. Default: inline when this process has the flag, else process.
   */
  mode?: 'inline' | 'process';
  /** Child processes in `process` mode; apps are sharded over them by name. Default: 2. */
  processes?: number;
  /** Blank isolates kept ready (bootstrap already run) for the next cold start, per process. Default: 2; 0 turns it off. */
  spareIsolates?: number;
  /**
   * Same-thread entries (docs/executor-modes.md): an isolate whose entries stay quick runs them on the executor's
   * main thread, with no thread hop, and goes back to its own thread after a slow one. Default: on; `false` turns
   * it off.
   */
  sameThread?: boolean | SameThreadOptions;
  /**
   * Process mode: a child that has not answered the parent's ping for this long is hung (its main thread blocked)
   * and is killed, failing its requests with 502 E_EXECUTOR_CRASHED, and restarted, ms. Default: 10,000.
   */
  livenessMs?: number;
}

export interface SameThreadOptions {
  /** Quick entries in a row before an isolate runs on the main thread; doubled after each demotion. Default: 16. */
  promoteAfter?: number;
  /** CPU time an entry may use and still count as quick, ms. Default: 1. */
  quickMs?: number;
  /**
   * CPU time a promoted isolate's slow entries (over quickMs: a garbage collection, a heavy request) may hold the
   * main thread in a burst before it is demoted, ms. Default: 50.
   */
  slowBudgetMs?: number;
  /** The share of wall time at which that budget refills. Default: 0.01 (10 ms a second). */
  slowShare?: number;
  /**
   * Above this share of the main thread taken by the host's own work (0–1: its event-loop utilization less the
   * same-thread entries), entries go to the isolate's own thread, where the guest runs beside the host on another
   * core. Default: 1 (promoted isolates stay on the main thread); docs/executor-modes.md has the measurements.
   */
  busyLoop?: number;
}

export interface RuntimeOptions {
  /** A folder whose subfolders are tenant apps, each served on `<name>.localhost` unless it names hostnames. */
  apps?: string;
  /** Plugins applied after the default ones. */
  plugins?: Plugin[];
  /** Set false to apply only `plugins` (the kernel alone answers nothing). */
  defaultPlugins?: boolean;
  /** Limits for every app; an app's Lambda may lower memory and wall time. */
  limits?: Partial<Limits>;
  /** Where the isolate executor runs isolates: in this process or in supervised child processes. */
  executor?: ExecutorOptions;
  /**
   * Store URLs: `default` for every namespace, or one per namespace (`builds`, `blobs`, `cache`...).
   * `memory:` unless set.
   */
  stores?: { default?: string } & Record<string, string | undefined>;
  /** A pino logger to use, or the level of the one Hangar makes (`LOG_LEVEL` or `info` by default). */
  logger?: Logger | { level?: string };
}
