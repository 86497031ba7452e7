// EdgeRuntime, the kernel: hooks, the DI container, the app registry, and fetch(request) → Response.
import 'reflect-metadata';
import { resolve as resolvePath } from 'node:path';
import { readdir } from 'node:fs/promises';
import type Keyv from 'keyv';
import { pino, type Logger } from 'pino';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { setHeader } from './complete-body.js';
import { KernelContext, type ContextOwner, type LogRecord, type RequestContext } from './context.js';
import type { Deployment } from './deployment.js';
import { ErrorCode, HangarError, toHangarError } from './errors.js';
import { BlobStore } from './files/blob-store.js';
import { isPromise, runBail, runWaterfall } from './hook-runner.js';
import { createHooks, type Hooks } from './hooks.js';
import { appName, type AppModule, type ResolvedLayer } from './layer.js';
import { headerValue, urlParts, type UrlParts } from './lazy-request.js';
import { DEFAULT_LIMITS, type Limits, type RuntimeOptions } from './options.js';
import { deploymentPolicy, outboundFetch, requestDepth } from './outbound.js';
import type { Plugin } from './plugin.js';
import { route, type RouteResult } from './router.js';
import { serveFile } from './static.js';
import { Tokens, type BuildAppOptions, type WatchHandle, type WatchOptions } from './tokens.js';
import { VERSION } from './version.js';

/** What `runtime.apps()` reports for each tenant app. */
export interface AppInfo {
  name: string;
  hostnames: readonly string[];
  deploymentId?: string;
  status: 'active' | 'failed';
  /** The last deploy error, while the app has one (the previous deployment keeps serving). */
  error?: { code: string; message: string };
}

interface AppRecord {
  name: string;
  container: DependencyContainer;
  deployment?: Deployment;
  error?: HangarError;
}

/** Sets headers on a response, re-wrapping it when its headers are immutable (as fetch() responses are). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  // Runs for every response, and most routes add no headers: that case allocates nothing.
  if (isEmpty(headers)) return response;
  try {
    for (const name in headers) setHeader(response, name, headers[name]!);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    for (const name in headers) copy.headers.set(name, headers[name]!);
    return copy;
  }
}

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}

export class EdgeRuntime {
  readonly hooks: Hooks = createHooks();
  readonly container: DependencyContainer = rootContainer.createChildContainer();
  readonly logger: Logger;
  readonly limits: Readonly<Limits>;
  readonly options: Readonly<RuntimeOptions>;
  readonly version = VERSION;

  private readonly plugins = new Map<string, Plugin>();
  private readonly records = new Map<string, AppRecord>();
  /** Hostname → app name. Replaced whole on each activation, so a lookup never sees a half-done switch. */
  private hostMap = new Map<string, string>();
  private readonly stores = new Map<string, Keyv>();
  /** Background work apps handed to waitUntil; close() waits for it. */
  private readonly background = new Set<Promise<unknown>>();
  private started?: Promise<void>;
  /** `started` has resolved: requests no longer wait for it. */
  private ready = false;
  private closed = false;
  /** Where request contexts log and keep their background work. */
  private readonly contextOwner: ContextOwner;

  constructor(options: RuntimeOptions = {}) {
    this.options = options;
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
    const given = options.logger;
    this.logger = given && 'child' in given ? given : pino({ level: given?.level ?? process.env.LOG_LEVEL ?? 'info' });
    this.contextOwner = {
      logger: this.logger,
      keepAlive: (work) => {
        const tracked = work.finally(() => this.background.delete(tracked));
        this.background.add(tracked);
      },
    };
    this.container.register(Tokens.Runtime, { useValue: this });
    this.container.register(Tokens.Logger, { useValue: this.logger });
    this.container.register(Tokens.Options, { useValue: { ...options, limits: this.limits } });
    this.container.register(Tokens.BlobStore, { useFactory: () => new BlobStore(this.cacheStore('blobs')) });
    this.tapKernel();
  }

  /** The kernel's own taps, at the edges of each hook so plugins run between them. */
  private tapKernel(): void {
    this.hooks.resolveApp.tap({ name: 'hangar:hostname', stage: 100 }, (request) => {
      const { hostname } = urlParts(request);
      const name = this.hostMap.get(hostname) ?? this.wildcard(hostname);
      const deployment = name === undefined ? undefined : this.records.get(name)?.deployment;
      return deployment && { deployment, basePath: '' };
    });
    const server = `hangar/${VERSION}`;
    this.hooks.response.tap({ name: 'hangar:server-header', stage: 100 }, (response, context) =>
      withHeaders(response, { server, 'x-request-id': context.requestId }),
    );
    this.hooks.log.tap({ name: 'hangar:pino', stage: 100 }, ({ level, message, ...fields }) => {
      this.logger[level](fields, message);
    });
  }

  /** `*.example.com` hostnames match one label deep (`hostname` is lowercase). */
  private wildcard(hostname: string): string | undefined {
    const dot = hostname.indexOf('.');
    return dot < 0 ? undefined : this.hostMap.get(`*${hostname.slice(dot)}`);
  }

  /** Applies a plugin once; a second plugin with the same name is refused. */
  use(plugin: Plugin): this {
    if (this.plugins.has(plugin.name)) throw new HangarError(ErrorCode.CONFIG_INVALID, `plugin ${plugin.name} is applied twice`);
    this.plugins.set(plugin.name, plugin);
    plugin.apply(this);
    return this;
  }

  /** Runs the start hooks and deploys `options.apps`. Safe to call more than once. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.hooks.start.promise();
      if (this.options.apps) await this.deployAppsDir(this.options.apps);
      this.ready = true;
    })();
    return this.started;
  }

  private async deployAppsDir(dir: string): Promise<void> {
    const root = resolvePath(dir);
    const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      throw new HangarError(ErrorCode.CONFIG_INVALID, `apps folder ${root} cannot be read (${error.code}); pass an existing folder as "apps"`);
    });
    for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
      // One broken app must not keep the others from serving: it is logged and reported by apps().
      await this.deploy(resolvePath(root, entry.name)).catch(() => undefined);
    }
  }

  /** Opens (once) the keyv store for a namespace through the `cacheStore` hook. */
  cacheStore(namespace: string): Keyv {
    let store = this.stores.get(namespace);
    if (!store) {
      const stores = this.options.stores ?? {};
      const url = stores[namespace.split(':')[0]!] ?? stores.default ?? 'memory:';
      store = this.hooks.cacheStore.call(namespace, url);
      if (!store) throw new HangarError(ErrorCode.STORE_UNAVAILABLE, `no cacheStore plugin understands ${JSON.stringify(url)} (namespace ${namespace}); use memory:, sqlite:// or redis://`);
      this.stores.set(namespace, store);
    }
    return store;
  }

  /** The app's child container (created on first use): encapsulation per tenant, as Fastify does per plugin. */
  appContainer(name: string): DependencyContainer {
    return this.record(name).container;
  }

  private record(name: string): AppRecord {
    let record = this.records.get(name);
    if (!record) {
      const container = this.container.createChildContainer();
      container.register(Tokens.AppName, { useValue: name });
      container.register(Tokens.Logger, { useValue: this.logger.child({ app: name }) });
      record = { name, container };
      this.records.set(name, record);
    }
    return record;
  }

  /** Resolves a layer reference (an app folder, a layer file, a store id...) through `resolveLayer`. */
  async resolveLayer(ref: string, cwd = process.cwd()): Promise<ResolvedLayer> {
    const layer = await this.hooks.resolveLayer.promise(ref, { cwd });
    if (!layer) throw new HangarError(ErrorCode.NOT_FOUND, `no resolver understands the layer reference ${JSON.stringify(ref)}; give an app folder or a layer file`);
    return layer;
  }

  /**
   * Builds every app module of a layer and activates each new deployment atomically.
   * A failed build leaves the app's previous deployment serving, and rejects.
   */
  async deploy(ref: string | ResolvedLayer, options?: BuildAppOptions): Promise<Deployment[]> {
    const layer = typeof ref === 'string' ? await this.resolveLayer(ref) : ref;
    const apps: AppModule[] = [];
    for (const [project, definition] of Object.entries(layer.layer.projects)) {
      for (const [module, mod] of Object.entries(definition.modules)) {
        if (mod.kind === 'app') apps.push({ name: appName(project, module), project, module, definition: mod, layer });
      }
    }
    const host = this.container.resolve(Tokens.BuildHost);
    const deployments: Deployment[] = [];
    for (const app of apps) {
      const record = this.record(app.name);
      try {
        const deployment = await host.buildApp(app, options);
        await this.activate(deployment);
        record.error = undefined;
        deployments.push(deployment);
      } catch (error) {
        record.error = toHangarError(error, ErrorCode.BUILD_FAILED);
        this.logger.error({ app: app.name, err: record.error, origin: layer.origin }, `deploy of ${app.name} failed: ${record.error.message}`);
        throw record.error;
      }
    }
    return deployments;
  }

  /**
   * Dev mode: deploys every app in `appsDir`, then rebuilds an app when its files change and swaps it in atomically;
   * a broken build leaves the last good deployment serving.
   */
  watch(appsDir: string, options?: WatchOptions): Promise<WatchHandle> {
    if (!this.container.isRegistered(Tokens.Watcher, true)) throw new HangarError(ErrorCode.CONFIG_INVALID, 'runtime.watch() needs the builders plugin (it provides the Watcher)');
    return this.container.resolve(Tokens.Watcher).watch(appsDir, options);
  }

  /** Points a deployment's hostnames at it, in one swap, and releases the one it replaces. */
  async activate(deployment: Deployment): Promise<void> {
    const record = this.record(deployment.app);
    const next = new Map(this.hostMap);
    for (const [host, owner] of next) if (owner === deployment.app) next.delete(host);
    for (const host of deployment.hostnames) {
      const key = host.toLowerCase();
      const owner = next.get(key);
      if (owner && owner !== deployment.app) {
        throw new HangarError(ErrorCode.CONFIG_INVALID, `hostname ${host} of app ${deployment.app} is already served by app ${owner}; pick another hostname`, { status: 409 });
      }
      next.set(key, deployment.app);
    }
    const previous = record.deployment;
    record.deployment = deployment;
    this.hostMap = next;
    await this.hooks.activate.promise(deployment, previous);
    this.logger.info({ app: deployment.app, deployment: deployment.id, hostnames: deployment.hostnames }, `app ${deployment.app} is live`);
  }

  /** Every known app, with its live deployment or its last deploy error. */
  apps(): AppInfo[] {
    return [...this.records.values()]
      .filter((r) => r.deployment || r.error)
      .map((r) => ({
        name: r.name,
        hostnames: r.deployment?.hostnames ?? [],
        deploymentId: r.deployment?.id,
        status: r.deployment ? 'active' : 'failed',
        ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
      }));
  }

  /** Answers any request: an app's response, or a 404 when no app owns it. */
  async fetch(request: Request): Promise<Response> {
    return (await this.handle(request)) ?? this.renderError(new HangarError(ErrorCode.NOT_FOUND, `no app serves ${new URL(request.url).host}`), request, this.newContext(request));
  }

  /**
   * Answers a request that an app owns; `undefined` means not ours, so adapters call `next()`. Hooks whose taps are
   * all synchronous run without a promise (core/hook-runner.ts): a request waits only for what is really async.
   */
  async handle(incoming: Request, context: RequestContext = this.newContext(incoming)): Promise<Response | undefined> {
    let request = incoming;
    try {
      if (!this.ready) await this.start();
      const transformed = runWaterfall(this.hooks.request, incoming, context);
      request = isPromise(transformed) ? await transformed : transformed;
      const found = runBail(this.hooks.resolveApp, request, context);
      const match = isPromise(found) ? await found : found;
      if (!match) return undefined;
      context.deployment = match.deployment;
      const served = this.serve(request, match.deployment, match.basePath, context);
      const response = isPromise(served) ? await served : served;
      const sent = runWaterfall(this.hooks.response, response, context);
      return isPromise(sent) ? await sent : sent;
    } catch (error) {
      return this.hooks.response.promise(this.renderError(toHangarError(error), request, context), context);
    }
  }

  private serve(request: Request, deployment: Deployment, basePath: string, context: RequestContext): Response | Promise<Response> {
    // Parsed once per request (or never, for an adapter's lazy request), shared with the hostname resolver.
    const url = urlParts(request);
    const pathname = url.pathname.slice(basePath.length) || '/';
    const routed = route(deployment, request.method, pathname, url.search);
    return isPromise(routed) ? routed.then((result) => this.serveRoute(result, request, deployment, pathname, url, context)) : this.serveRoute(routed, request, deployment, pathname, url, context);
  }

  private serveRoute(result: RouteResult, request: Request, deployment: Deployment, pathname: string, url: UrlParts, context: RequestContext): Response | Promise<Response> {
    switch (result.kind) {
      case 'miss':
        throw new HangarError(ErrorCode.NOT_FOUND, `${pathname} is not found in app ${deployment.app}`);
      case 'status':
        return new Response(null, { status: result.status, headers: result.headers });
      case 'proxy': {
        const target = new Request(result.url, request);
        const policy = { ...deploymentPolicy(deployment, this.limits), depth: requestDepth(request) + 1, signal: context.signal };
        return outboundFetch(target, policy).then((response) => withHeaders(response, result.headers));
      }
      case 'output': {
        if (result.output.type !== 'Lambda') return serveFile(request, result.path, result.output, result.headers, result.status);
        const lambda = result.output;
        const executor = this.hooks.executor.call(lambda);
        if (!executor) throw new HangarError(ErrorCode.EXECUTOR_UNKNOWN, `no executor runs Lambdas of runtime ${JSON.stringify(lambda.runtime)} (output ${result.path})`);
        // A rewrite's `dest` query (`/api?id=$1`) reaches the Lambda merged into the URL it sees; the path stays the client's.
        const forwarded = result.search !== undefined && result.search !== url.search ? new Request(Object.assign(new URL(url.href), { search: result.search }), request) : request;
        const answered = executor.dispatch(forwarded, { deployment, lambda, path: result.path }, context);
        return isEmpty(result.headers) ? answered : answered.then((response) => withHeaders(response, result.headers));
      }
    }
  }

  /** A fresh context for one request; `requestId` when another process already named the request. */
  newContext(request: Request, requestId?: string): RequestContext {
    return new KernelContext(this.contextOwner, request, requestId);
  }

  /** The error response: the first `error` tap's answer, else JSON (when asked for) or text naming code and request id. */
  renderError(error: HangarError, request: Request, context: RequestContext): Response {
    const level = error.status >= 500 ? 'error' : 'info';
    context.logger[level]({ err: error, code: error.code, status: error.status }, error.message);
    const custom = this.hooks.error.call(error, request, context);
    if (custom) return custom;
    const body = { error: { ...error.toJSON(), requestId: context.requestId } };
    const wantsJson = (headerValue(request, 'accept') ?? '').includes('json');
    return wantsJson
      ? Response.json(body, { status: error.status })
      : new Response(`${error.status} ${error.code}: ${error.message}\nrequest id: ${context.requestId}\n`, {
          status: error.status,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
  }

  /** Writes a structured log record through the `log` hook (pino is the last tap). */
  log(record: LogRecord): void {
    this.hooks.log.call(record);
  }

  /** Closes plugins (isolates, connections) once; later requests are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.background]);
    await this.hooks.close.promise();
    await Promise.all([...this.stores.values()].map((store) => store.disconnect?.().catch(() => undefined)));
    for (const record of this.records.values()) record.container.dispose?.();
    this.container.dispose?.();
  }
}
