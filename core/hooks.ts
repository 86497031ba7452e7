// Every hook of the runtime, declared and documented in one place. The hook's type carries its meaning:
// Bail = the first answer wins, Waterfall = a transform, AsyncSeries = lifecycle.
import type Keyv from 'keyv';
import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  HookMap,
  SyncBailHook,
  SyncHook,
} from 'tapable';
import type { AppBinding, BindingContext } from './bindings.js';
import type { Builder, BuildOptions, BuildResult } from './builder.js';
import type { LogRecord, RequestContext } from './context.js';
import type { Deployment } from './deployment.js';
import type { HangarError } from './errors.js';
import type { Executor } from './executor.js';
import type { Lambda } from './files/lambda.js';
import type { Files } from './files/types.js';
import type { AppModule, ResolvedLayer, SourceSpec } from './layer.js';

/** What `resolveApp` answers: the deployment that owns the request, and the path prefix it is mounted under. */
export interface AppMatch {
  deployment: Deployment;
  /** A path prefix stripped before routing (`''` for hostname matches). */
  basePath: string;
}

/** Where a source or layer reference is being resolved from. */
export interface ResolveContext {
  /** The layer that names the reference, when there is one (relative paths resolve against its baseDir). */
  layer?: ResolvedLayer;
  /** The folder relative references resolve against when there is no layer. */
  cwd: string;
}

/** One build job: one entrypoint, one builder. */
export interface BuildJob {
  app: AppModule;
  use: string;
  entrypoint: string;
  options: BuildOptions;
}

/** A finished build job, from the builder or from the build cache. */
export interface BuildOutcome {
  result: BuildResult;
  /** The fingerprint the build cache keyed it by. */
  fingerprint: string;
  /** True when the output came from the build cache and `build` did not run. */
  cached: boolean;
}

export function createHooks() {
  return Object.freeze({
    // ── Resolvers ────────────────────────────────────────────────────────────────────────────

    /** Maps a request (by hostname or path prefix) to the deployment that serves it. No answer: not ours, `next()`. */
    resolveApp: new AsyncSeriesBailHook<[Request, RequestContext], AppMatch | undefined>(['request', 'context']),

    /** Turns a layer reference (a folder, a file, a store id, a catalog name, a URL) into a resolved layer. */
    resolveLayer: new AsyncSeriesBailHook<[string, ResolveContext], ResolvedLayer | undefined>(['ref', 'context']),

    /** Turns a module source (a local path, `git url@commit`, another module's output) into Files. */
    resolveSource: new AsyncSeriesBailHook<[SourceSpec, ResolveContext], Files | undefined>(['source', 'context']),

    // ── Builders ─────────────────────────────────────────────────────────────────────────────

    /** The builder registry, keyed by `use` (for example `static`, `edge`). A tap answers with a Builder. */
    builder: new HookMap<SyncBailHook<[], Builder | undefined>>(() => new SyncBailHook<[], Builder | undefined>()),

    /** Lifecycle: before a build job runs (the job's options may still be adjusted). */
    beforeBuild: new AsyncSeriesHook<[BuildJob]>(['job']),

    /** Lifecycle: after a build job finished, cached or not. */
    afterBuild: new AsyncSeriesHook<[BuildJob, BuildOutcome]>(['job', 'outcome']),

    // ── Cache stores ─────────────────────────────────────────────────────────────────────────

    /**
     * Opens the keyv store for a namespace (`builds`, `blobs`, `cache` for every app's tenant cache and Cache API...)
     * from a store URL (`memory:`, `sqlite://path`, `redis://host:port`). The first tap that understands the URL wins.
     */
    cacheStore: new SyncBailHook<[string, string], Keyv | undefined>(['namespace', 'url']),

    // ── Executors ────────────────────────────────────────────────────────────────────────────

    /** Picks the executor for a Lambda, by `lambda.runtime`. */
    executor: new SyncBailHook<[Lambda], Executor | undefined>(['lambda']),

    /** Collects the host capabilities an app's isolate gets under `env` (a transform over the list). */
    bindings: new AsyncSeriesWaterfallHook<[AppBinding[], BindingContext]>(['bindings', 'context']),

    // ── Request lifecycle ────────────────────────────────────────────────────────────────────

    /** Transforms each incoming request before routing (request id, recursion guard, limits). */
    request: new AsyncSeriesWaterfallHook<[Request, RequestContext]>(['request', 'context']),

    /** Transforms each outgoing response of an app (`Server` header, compression). */
    response: new AsyncSeriesWaterfallHook<[Response, RequestContext]>(['response', 'context']),

    /** Renders a failed request as a response; the first answer wins, the kernel's JSON/text body is the last. */
    error: new SyncBailHook<[HangarError, Request, RequestContext], Response | undefined>(['error', 'request', 'context']),

    /** Observes every structured log record (app console output included) as it is written. */
    log: new SyncHook<[LogRecord]>(['record']),

    // ── Runtime lifecycle ────────────────────────────────────────────────────────────────────

    /** Lifecycle: the runtime starts, after plugins are applied and before apps are loaded. */
    start: new AsyncSeriesHook<[]>(),

    /** Lifecycle: a deployment now serves its hostnames; `previous` (if any) no longer does. */
    activate: new AsyncSeriesHook<[Deployment, Deployment | undefined]>(['deployment', 'previous']),

    /** Lifecycle: the runtime closes; release isolates, connections and timers. */
    close: new AsyncSeriesHook<[]>(),
  });
}

/** The runtime's hooks object: frozen, so plugins tap hooks but never replace them. */
export type Hooks = ReturnType<typeof createHooks>;
