// One supervised executor child process, seen from the parent: forks it, sends it requests, restarts it when it dies.
import { fork, type ChildProcess } from 'node:child_process';
import type { RequestContext } from '../../../core/context.js';
import type { Deployment } from '../../../core/deployment.js';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { DispatchTarget } from '../../../core/executor.js';
import { fileBytes } from '../../../core/files/stream.js';
import type { ExecutorOptions } from '../../../core/options.js';
import type { EdgeRuntime } from '../../../core/runtime.js';
import { BindingsHost } from './bindings-host.js';
import { BodyReceiver, BodySender, crashedBody, deliver } from './body-channel.js';
import { childCommand } from './fork-args.js';
import { toLogRecord } from './log-lines.js';
import { Outbox } from './outbox.js';
import type { ToChild, ToParent } from './protocol.js';
import { fromWire, toWire } from './wire-error.js';

export interface ProcessSettings {
  spareIsolates: number;
  /** ExecutorOptions.sameThread, for the child's executor. */
  sameThread: ExecutorOptions['sameThread'];
  /** ExecutorOptions.livenessMs: how long a child may leave a ping unanswered before it counts as hung. */
  livenessMs: number;
  /** The guest bootstrap bundle, made once in the parent. */
  bootstrap(): Promise<string>;
}

/** One request on its way through the child. */
interface Exchange {
  app: string;
  resolve(response: Response): void;
  reject(error: HangarError): void;
  headed: boolean;
  requestBody?: BodySender;
  responseBody?: BodyReceiver;
}

/** One forked child and what it was sent; replaced whole when the child dies. */
interface Live {
  child: ChildProcess;
  outbox: Outbox<ToChild>;
  ready: Promise<void>;
  markReady(): void;
  failStart(error: Error): void;
  readyAt?: number;
  /** `<deployment id>\0<path>` → the ship message sent (once its Lambda's source was read). */
  shipped: Map<string, Promise<void>>;
  /** Deployments shipped, by id, for the bindings the child asks for. */
  deployments: Map<string, Deployment>;
  /** Requests in this child, by id. */
  exchanges: Map<number, Exchange>;
  /** Set once the child is being replaced: it finishes its requests, then it is stopped. */
  retiring?: NodeJS.Timeout;
  /** Pings the child while it is ready; see watch(). */
  pinger?: NodeJS.Timeout;
  /** When the child last answered a ping (or became ready). */
  answeredAt: number;
}

/** A child that dies within this long of being ready counts toward a crash loop, and restarts back off. */
const STABLE_MS = 10_000;
const BACKOFF_MAX_MS = 5_000;
const STOP_GRACE_MS = 2_000;

export class ExecutorProcess {
  private live?: Live;
  /** Every child still running: the live one, and any being retired. */
  private readonly lives = new Set<Live>();
  private readonly bindings: BindingsHost;
  private nextId = 1;
  private crashesInARow = 0;
  private restartTimer?: NodeJS.Timeout;
  /** Until then (in a crash loop) no child is forked, and requests fail fast. */
  private backoffUntil = 0;
  private closed = false;

  constructor(
    private readonly runtime: EdgeRuntime,
    readonly slot: number,
    private readonly settings: ProcessSettings,
  ) {
    this.bindings = new BindingsHost(runtime);
  }

  /** The child's pid while one runs. */
  get pid(): number | undefined {
    return this.live?.child.pid;
  }

  /** Resolves once a child is ready to serve, forking one if none runs. */
  async start(): Promise<void> {
    await this.running();
  }

  /** The child once it is ready to serve (forked if none runs), within `timeoutMs`. */
  private async running(timeoutMs = Infinity): Promise<Live> {
    if (this.closed) throw new HangarError(ErrorCode.INTERNAL, 'the isolate executor is closed', { status: 503 });
    if (!this.live && Date.now() < this.backoffUntil) {
      throw new HangarError(ErrorCode.EXECUTOR_CRASHED, `executor process ${this.slot} keeps dying; it restarts in ${this.backoffUntil - Date.now()} ms`);
    }
    const live = (this.live ??= this.spawn());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      if (timeoutMs !== Infinity) timer = setTimeout(() => reject(new Error(`it was not ready within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([live.ready, late]).finally(() => clearTimeout(timer));
    return live;
  }

  private spawn(): Live {
    const { entry, execArgv } = childCommand();
    const child = fork(entry, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let markReady!: () => void;
    let failStart!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    ready.catch(() => undefined);
    const outbox = new Outbox<ToChild>(
      (message) => child.connected && child.send(message),
      (error) => this.runtime.logger.error({ err: error, slot: this.slot }, `executor process ${this.slot}: a message could not be sent`),
    );
    const live: Live = { child, outbox, ready, markReady, failStart, shipped: new Map(), deployments: new Map(), exchanges: new Map(), answeredAt: Date.now() };
    this.lives.add(live);
    child.on('message', (message: ToParent) => this.receive(live, message));
    child.on('error', (error) => this.runtime.logger.error({ err: error, slot: this.slot }, `executor process ${this.slot}: ${error.message}`));
    child.once('exit', (code, signal) => this.exited(live, code, signal));
    void this.settings.bootstrap().then(
      (bootstrap) => this.send(live, { t: 'init', limits: { ...this.runtime.limits }, spareIsolates: this.settings.spareIsolates, sameThread: this.settings.sameThread, bootstrap }),
      (error: Error) => {
        failStart(error);
        child.kill('SIGKILL');
      },
    );
    return live;
  }

  /** Answers one request in the child; a child that dies before the response ends fails it with E_EXECUTOR_CRASHED. */
  async dispatch(request: Request, target: DispatchTarget, context: RequestContext, active: boolean): Promise<Response> {
    const { app } = target.deployment;
    const live = await this.running(this.runtime.limits.wallMs).catch((error: unknown) => {
      throw error instanceof HangarError
        ? error
        : new HangarError(ErrorCode.EXECUTOR_CRASHED, `the process for app ${app} could not start: ${(error as Error).message}`, { details: { app } });
    });
    const key = await this.ship(live, target, active);
    if (this.live !== live) throw this.crashed(app);
    const id = this.nextId++;
    const requestBody = request.body ? new BodySender(id, request.body, (message) => this.send(live, message)) : undefined;
    const part = requestBody ? await requestBody.ready() : null;
    if (this.live !== live) {
      requestBody?.stop();
      throw this.crashed(app);
    }
    return new Promise<Response>((resolve, reject) => {
      live.exchanges.set(id, { app, resolve, reject, headed: false, requestBody });
      this.busy(live);
      this.send(live, { t: 'request', id, key, requestId: context.requestId, url: request.url, method: request.method, headers: [...request.headers], body: part });
      if (requestBody && !part!.done) void requestBody.pump();
    });
  }

  /** Sends the deployment's Lambda to the child once; later requests name it by key. */
  private ship(live: Live, target: DispatchTarget, active: boolean): Promise<string> {
    const { deployment, lambda, path } = target;
    const key = `${deployment.id}\0${path}`;
    let shipping = live.shipped.get(key);
    if (!shipping) {
      shipping = (async () => {
        const file = lambda.files[lambda.handler];
        if (!file) throw new HangarError(ErrorCode.INTERNAL, `edge Lambda: its handler ${JSON.stringify(lambda.handler)} is not one of its files`);
        const source = (await fileBytes(file)).toString('utf8');
        live.deployments.set(deployment.id, deployment);
        this.send(live, {
          t: 'ship',
          key,
          active,
          deployment: { id: deployment.id, app: deployment.app, hostnames: [...deployment.hostnames], env: { ...deployment.env } },
          lambda: { path, handler: lambda.handler, source, environment: lambda.environment, memory: lambda.memory, maxDuration: lambda.maxDuration, digest: lambda.digest },
        });
      })();
      live.shipped.set(key, shipping);
      shipping.catch(() => live.shipped.get(key) === shipping && live.shipped.delete(key));
    }
    return shipping.then(() => key);
  }

  private receive(live: Live, message: ToParent): void {
    switch (message.t) {
      case 'batch':
        for (const each of message.messages) this.receive(live, each);
        return;
      case 'ready':
        live.readyAt = Date.now();
        live.markReady();
        this.watch(live);
        // Until now the child kept this process alive, for whoever waits for it to be ready.
        if (!live.exchanges.size) this.idle(live);
        return;
      case 'pong':
        live.answeredAt = Date.now();
        return;
      case 'head':
        return this.head(live, message);
      case 'failed': {
        const exchange = live.exchanges.get(message.id);
        if (!exchange) return;
        this.finish(live, message.id);
        exchange.reject(fromWire(message.error));
        return;
      }
      case 'chunk':
      case 'end':
      case 'abort':
      case 'credit':
      case 'cancel': {
        const exchange = live.exchanges.get(message.id);
        return deliver(message, exchange?.responseBody, exchange?.requestBody);
      }
      case 'log': {
        const record = toLogRecord(message.line);
        if (!record) return;
        this.runtime.log(record);
        if (record.level === 'fatal') this.retire(live, `it logged a fatal error: ${record.message}`);
        return;
      }
      case 'bindings':
        return void this.collectBindings(live, message);
      case 'call':
        return void this.callBinding(live, message);
    }
  }

  private head(live: Live, message: Extract<ToParent, { t: 'head' }>): void {
    const exchange = live.exchanges.get(message.id);
    if (!exchange) return;
    exchange.headed = true;
    const { id, status, statusText, headers } = message;
    try {
      if (message.body) {
        exchange.responseBody = new BodyReceiver(id, (m) => this.send(live, m), () => this.finish(live, id), message.body);
        exchange.resolve(new Response(exchange.responseBody.stream, { status, statusText, headers }));
      } else {
        this.finish(live, id);
        exchange.resolve(new Response(null, { status, statusText, headers }));
      }
    } catch (error) {
      this.send(live, { t: 'cancel', id });
      this.finish(live, id);
      exchange.reject(new HangarError(ErrorCode.APP_EXCEPTION, `app ${exchange.app} answered a response the host cannot send: ${(error as Error).message}`, { details: { app: exchange.app } }));
    }
  }

  /** The exchange is over (its response ended, failed or was cancelled): its request body stops too. */
  private finish(live: Live, id: number): void {
    const exchange = live.exchanges.get(id);
    if (!exchange) return;
    live.exchanges.delete(id);
    exchange.requestBody?.stop();
    if (live.exchanges.size) return;
    this.idle(live);
    if (live.retiring) live.child.kill('SIGTERM');
  }

  private async collectBindings(live: Live, message: Extract<ToParent, { t: 'bindings' }>): Promise<void> {
    const deployment = live.deployments.get(message.deploymentId);
    try {
      if (!deployment) throw new HangarError(ErrorCode.INTERNAL, `bindings were asked for deployment ${message.deploymentId} of app ${message.app}, which this process was not sent`);
      this.send(live, { t: 'bindings-answer', call: message.call, ok: true, ...(await this.bindings.collect(deployment)) });
    } catch (error) {
      this.send(live, { t: 'bindings-answer', call: message.call, ok: false, error: toWire(error) });
    }
  }

  private async callBinding(live: Live, message: Extract<ToParent, { t: 'call' }>): Promise<void> {
    let answer: ToChild;
    try {
      answer = { t: 'call-answer', call: message.call, ok: true, value: await this.bindings.call(message.handle, message.index, message.method, message.args) };
    } catch (error) {
      answer = { t: 'call-answer', call: message.call, ok: false, name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };
    }
    try {
      this.send(live, answer, true);
    } catch {
      this.send(live, { t: 'call-answer', call: message.call, ok: false, name: 'DataCloneError', message: 'the host answered a value that cannot be copied into the isolate' });
    }
  }

  /** Queues a message for the child; `strict` sends it at once and rethrows a value that cannot be serialized. */
  private send(live: Live, message: ToChild, strict = false): void {
    if (strict) live.outbox.sendNow(message);
    else live.outbox.send(message);
  }

  /** The child is gone: its requests fail, what it was sent is forgotten, and a new one starts (backing off in a loop). */
  private exited(live: Live, code: number | null, signal: NodeJS.Signals | null): void {
    this.lives.delete(live);
    clearTimeout(live.retiring);
    clearInterval(live.pinger);
    live.failStart(new Error(`it exited (${signal ?? `code ${code}`}) before it was ready`));
    const failed = live.exchanges.size;
    for (const [id, exchange] of live.exchanges) {
      live.exchanges.delete(id);
      exchange.requestBody?.stop();
      if (exchange.headed) exchange.responseBody?.fail(crashedBody(exchange.app));
      else exchange.reject(this.crashed(exchange.app));
    }
    if (this.live !== live) return;
    this.live = undefined;
    this.bindings.clear();
    if (this.closed) return;
    const stable = live.readyAt !== undefined && Date.now() - live.readyAt >= STABLE_MS;
    this.crashesInARow = stable ? 0 : this.crashesInARow + 1;
    const delay = this.crashesInARow <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, 100 * 2 ** (this.crashesInARow - 2));
    this.backoffUntil = Date.now() + delay;
    this.runtime.logger.error(
      { slot: this.slot, pid: live.child.pid, code, signal, failedRequests: failed, restartInMs: delay },
      `executor process ${this.slot} (pid ${live.child.pid}) died (${signal ?? `exit code ${code}`}); ${failed} request(s) failed with ${ErrorCode.EXECUTOR_CRASHED}; restarting it`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closed) this.start().catch(() => undefined);
    }, delay);
    this.restartTimer.unref();
  }

  /**
   * isolated-vm says that after a catastrophic error V8 is beyond repair: the process should finish what it is doing
   * and end. A new child takes the next requests; this one is stopped once its requests are done, or at the latest
   * after the wall-time limit.
   */
  private retire(live: Live, why: string): void {
    if (this.live !== live || live.retiring) return;
    this.live = undefined;
    this.bindings.clear();
    this.runtime.logger.error({ slot: this.slot, pid: live.child.pid, inFlight: live.exchanges.size }, `executor process ${this.slot} (pid ${live.child.pid}) is replaced: ${why}`);
    live.retiring = setTimeout(() => live.child.kill('SIGKILL'), this.runtime.limits.wallMs);
    live.retiring.unref();
    if (!live.exchanges.size) live.child.kill('SIGTERM');
  }

  /**
   * A crash ends a child, but a hang does not: a main thread blocked for good (a deadlock in V8 or isolated-vm, a
   * guest holding its isolate's lock forever) would keep its requests waiting to their wall limit, and every later
   * one too. So the parent pings; a child silent for `livenessMs` is killed, and exited() fails its requests with 502
   * and starts a new one. Pings go four times per period, so a late answer is not mistaken for none.
   */
  private watch(live: Live): void {
    const { livenessMs } = this.settings;
    live.answeredAt = Date.now();
    live.pinger = setInterval(() => {
      const silentMs = Date.now() - live.answeredAt;
      if (silentMs < livenessMs) return this.send(live, { t: 'ping' });
      clearInterval(live.pinger);
      this.runtime.log({
        level: 'error',
        message: `executor process ${this.slot} (pid ${live.child.pid}) answered no ping for ${silentMs} ms; it is hung and is killed`,
        code: ErrorCode.EXECUTOR_CRASHED,
        slot: this.slot,
        pid: live.child.pid,
        inFlight: live.exchanges.size,
      });
      live.child.kill('SIGKILL');
    }, livenessMs / 4);
    live.pinger.unref();
  }

  private crashed(app: string): HangarError {
    return new HangarError(ErrorCode.EXECUTOR_CRASHED, `the process running app ${app} died while handling the request; it is being restarted`, { details: { app } });
  }

  /** A deployment serves again: it is shipped anew, active, on its next request. */
  activated(deploymentId: string): void {
    this.forget(deploymentId);
  }

  /** A deployment no longer serves: the child retires its isolates once their requests finish. */
  release(deploymentId: string): void {
    const live = this.live;
    if (!live?.deployments.has(deploymentId)) return;
    this.forget(deploymentId);
    live.deployments.delete(deploymentId);
    this.bindings.release(deploymentId);
    this.send(live, { t: 'release', deploymentId });
  }

  private forget(deploymentId: string): void {
    for (const key of this.live?.shipped.keys() ?? []) if (key.startsWith(`${deploymentId}\0`)) this.live!.shipped.delete(key);
  }

  /** Stops the children; requests still in them fail with 503. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.live = undefined;
    await Promise.all([...this.lives].map((live) => this.stop(live)));
  }

  private async stop(live: Live): Promise<void> {
    clearTimeout(live.retiring);
    for (const [id, exchange] of live.exchanges) {
      live.exchanges.delete(id);
      exchange.requestBody?.stop();
      const closed = new HangarError(ErrorCode.INTERNAL, 'the isolate executor is closed', { status: 503 });
      if (exchange.headed) exchange.responseBody?.fail(closed);
      else exchange.reject(closed);
    }
    if (live.child.exitCode !== null || live.child.signalCode !== null) return;
    const exited = new Promise((resolve) => live.child.once('exit', resolve));
    live.child.kill('SIGTERM');
    const timer = setTimeout(() => live.child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** While requests are in flight the child keeps this process alive; idle, it does not. */
  private busy(live: Live): void {
    live.child.ref();
    live.child.channel?.ref();
  }

  private idle(live: Live): void {
    live.child.unref();
    live.child.channel?.unref();
  }
}
