// One app's isolate: its context, the bootstrap and the app script, and the requests it serves until it is disposed.
import ivm from 'isolated-vm';
import type { LogRecord, RequestContext } from '../../core/context.js';
import type { Deployment } from '../../core/deployment.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { Lambda } from '../../core/files/lambda.js';
import { headerPairs } from '../../core/lazy-request.js';
import { requestDepth } from '../../core/outbound.js';
import type { EdgeRuntime } from '../../core/runtime.js';
import { AppBindings } from './app-bindings.js';
import { compileAppScript } from './app-script.js';
import { recacheBootstrap } from './bootstrap.js';
import { createHostCalls } from './bridge.js';
import { CpuMeter } from './cpu-meter.js';
import { Deadline } from './deadline.js';
import { GuestEntries } from './guest-entries.js';
import { GuestIsolate } from './guest-isolate.js';
import { platformConfig } from './limits.js';
import { guestStream } from './guest-stream.js';
import { HostBodies } from './host-bodies.js';
import { HostFetch } from './host-fetch.js';
import { PlatformHost } from './host-platform.js';
import { hostResponse, type ResponseSide } from './host-response.js';
import { HostTimers } from './host-timers.js';
import type { IsolateLimits } from './limits.js';
import type { IsolateEvents } from './pool.js';
import { logLine, type AppConfig, type ChunkOutcome, type DispatchResult, type EntryOp, type GuestLogLevel, type RequestHead } from './protocol.js';
import { RequestScope, type ScopeOwner } from './request-scope.js';
import { PendingReply } from './pending-reply.js';
import { SAME_THREAD_DEFAULTS, SameThread } from './same-thread.js';
import type { SpareIsolates } from './spare-isolates.js';
import { mapStack } from './stack-map.js';

export interface AppIsolateOptions {
  runtime: EdgeRuntime;
  deployment: Deployment;
  lambda: Lambda;
  limits: IsolateLimits;
  /** Where a cold start takes an isolate with the bootstrap already run, when one is ready. */
  spares?: SpareIsolates;
  /** Told when each request finishes (the pool's idle teardown and heap recycling). */
  events?: IsolateEvents;
  /**
   * The app Lambda's same-thread record (same-thread.ts), shared by its isolates and outliving each; a record of
   * its own, with the default policy, when absent.
   */
  sameThread?: SameThread;
}

/** Entries a request waits on, which report their own failure. */
const REPLYING = new Set<EntryOp>(['dispatch', 'pull', 'pullUpload']);
const ENTRY_NAMES: Record<EntryOp, string> = {
  dispatch: 'a request',
  pull: 'a response body',
  pullUpload: 'a fetch() request body',
  cancel: 'cancelling a response body',
  cancelUpload: 'cancelling a fetch() request body',
  timer: 'a timer',
  settle: 'code resumed by a host call',
  fail: 'code resumed by a failed host call',
};

/** At a deadline, an isolate that spent this share of the wall time on the CPU is a runaway, and is replaced. */
const RUNAWAY_CPU_SHARE = 0.5;
/** Otherwise it is watched this long more: half of it on the CPU means a runaway that started late. */
const RUNAWAY_WATCH_MS = 50;
const TIMED_OUT = 'Script execution timed out.';
const CATASTROPHE = 'isolated-vm reported a catastrophic error; restart the process when convenient';

function cpuMs(nanoseconds: bigint): number {
  return Number(nanoseconds) / 1e6;
}

/** A chunk the guest read for the host; its read's failure is thrown as the guest's error would have been. */
function chunkOf(outcome: ChunkOutcome): Uint8Array | null {
  if (outcome.ok) return outcome.value;
  const error = new Error(outcome.message);
  error.name = outcome.name;
  throw error;
}

export class AppIsolate {
  readonly app: string;
  /** Settles once the isolate is disposed, for whoever tracks live isolates. */
  readonly disposed: Promise<void>;
  private readonly options: AppIsolateOptions;
  private readonly isolate: ivm.Isolate;
  /** The context the bootstrap ran in, and its install(). */
  private readonly base: GuestIsolate;
  private readonly bodies: HostBodies;
  private readonly timers: HostTimers;
  private readonly meter: CpuMeter;
  private readonly fetcher: HostFetch;
  /** WebCrypto keys and zlib streams the guest's platform holds on the host. */
  private readonly platform = new PlatformHost();
  /** Requests being served, by seq: a response body still streaming and waitUntil work count. */
  private readonly scopes = new Map<number, RequestScope>();
  private nextSeq = 1;
  /** How guest code is run, once install() gave the guest's entry points. */
  private entries?: GuestEntries;
  private readonly sameThread: SameThread;
  /** What this isolate's request scopes and responses call back into (once per isolate, not per request). */
  private readonly scopeOwner: ScopeOwner;
  private readonly responseSide: ResponseSide;
  private brokenBy?: HangarError;
  private retiring = false;
  private closing = false;
  private markDisposed!: () => void;

  private constructor(options: AppIsolateOptions, base: GuestIsolate) {
    this.options = options;
    this.app = options.deployment.app;
    this.bodies = new HostBodies(this.app, options.limits.bodyBytes);
    this.sameThread = options.sameThread ?? new SameThread(SAME_THREAD_DEFAULTS);
    this.timers = new HostTimers(options.limits.maxTimers, (id) => this.fireTimer(id));
    this.meter = new CpuMeter(() => base.isolate.cpuTime, options.limits.cpuMs, this.app, {
      over: (error, burning) => {
        // The request hears of it too, unless it already answered and only its waitUntil work was running.
        options.runtime.log({ level: 'warn', message: error.message, app: this.app, code: error.code });
        // Its code may still be running, and would be charged to whoever came next: new requests go elsewhere.
        this.retire();
        this.stopRunaway(error, burning);
      },
      idleOver: (error) => {
        options.runtime.log({ level: 'warn', message: `${error.message}; its isolate was replaced`, app: this.app, code: error.code });
        this.dispose(error);
      },
    });
    this.fetcher = new HostFetch({
      app: this.app,
      limits: options.limits.fetch,
      bodies: this.bodies,
      scopes: () => [...this.scopes.values()],
      upload: (id) => this.uploadBody(id),
    });
    this.scopeOwner = {
      scopeClosed: (closed) => {
        this.scopes.delete(closed.seq);
        for (const id of closed.bodies) this.bodies.release(id);
        this.settleRetirement();
        this.options.events?.settled(this);
      },
      scopeCutOff: (cut, pending) => {
        const message = `app ${this.app}: ${pending} waitUntil promise(s) still pending ${this.options.limits.waitUntilMs} ms after the response were no longer waited for`;
        this.options.runtime.log({ level: 'warn', message, app: this.app, requestId: cut.requestId });
      },
    };
    this.responseSide = {
      app: this.app,
      log: (record) => this.logException(record),
      stream: (id, scope) => this.responseBody(id, scope),
      cancel: (id) => this.entries?.enter('cancel', id),
    };
    this.disposed = new Promise((resolve) => (this.markDisposed = resolve));
    this.base = base;
    this.isolate = base.isolate;
  }

  /** A spare when one is ready, else a new isolate with the bootstrap run within the deadline. */
  private static async base(options: AppIsolateOptions, deadline: Deadline): Promise<GuestIsolate> {
    const spare = options.spares?.take(options.limits.memoryMb);
    if (spare) return spare;
    const { app } = options.deployment;
    return GuestIsolate.create(options.limits.memoryMb, deadline.remaining(), platformConfig(options.runtime), (message) => options.runtime.logger.fatal({ app, message }, CATASTROPHE)).catch((error: unknown) => {
      if (error instanceof Error && error.message === TIMED_OUT) throw deadline.expired();
      throw new HangarError(ErrorCode.INTERNAL, `the isolate bootstrap failed for app ${app}: ${(error as Error).message}`, { cause: error });
    });
  }

  /** A ready isolate: bootstrap installed, bindings collected, the app's script run (within the deadline). */
  static async create(options: AppIsolateOptions, deadline: Deadline): Promise<AppIsolate> {
    const instance = new AppIsolate(options, await AppIsolate.base(options, deadline));
    try {
      await instance.boot(deadline);
      return instance;
    } catch (error) {
      const failure =
        instance.failure(error, deadline) ??
        new HangarError(ErrorCode.APP_EXCEPTION, `app ${instance.app} failed to start: ${(error as Error).message ?? String(error)}`, {
          details: { app: instance.app },
        });
      instance.dispose(failure);
      throw failure;
    }
  }

  /** False once disposed, out of memory, or replaced after a runaway; the pool then makes a new one. */
  get alive(): boolean {
    return !this.brokenBy && !this.isolate.isDisposed;
  }

  /** Alive and taking new requests (not retiring). */
  get serving(): boolean {
    return this.alive && !this.retiring;
  }

  /** Requests in flight, background work included. */
  get load(): number {
    return this.scopes.size;
  }

  get memoryLimitBytes(): number {
    return this.options.limits.memoryMb * 1024 * 1024;
  }

  /** Whether the isolate is promoted to same-thread entries (same-thread.ts), and how often it was demoted. */
  get entryMode(): { sameThread: boolean; demotions: number } {
    return { sameThread: this.sameThread.promotedNow, demotions: this.sameThread.demotions };
  }

  /** The heap in use, ArrayBuffers included (V8's figure; read on the main thread when the isolate's is idle). */
  async heapUsedBytes(): Promise<number> {
    const { entries } = this;
    const stats = !entries ? await this.isolate.getHeapStatistics() : entries.idle ? this.isolate.getHeapStatisticsSync() : await entries.onIsolateThread(this.isolate.getHeapStatistics());
    return stats.used_heap_size + stats.externally_allocated_size;
  }

  /** The name app stacks show the script under. */
  private get scriptName(): string {
    return `app://${this.app}/${this.options.lambda.handler}`;
  }

  /**
   * Gives the isolate its app: bindings, env and entry points (synchronously: the platform is already installed, and
   * nothing else runs in the isolate), then compiles and runs the app's own script on the isolate's thread.
   */
  private async boot(deadline: Deadline): Promise<void> {
    const { runtime, deployment, lambda, limits } = this.options;
    const bindings = await AppBindings.collect(runtime, deployment, this.isolate, this.base.context);
    const handlers = {
      log: (level: GuestLogLevel, message: string) => this.log(level, message),
      setTimer: (id: number, delayMs: number) => void (this.alive && this.timers.set(id, delayMs)),
      clearTimer: (id: number) => this.timers.clear(id),
      readBody: (id: number) => this.bodies.read(id),
      callBinding: (index: number, method: string, args: unknown[]) => bindings.call(index, method, args),
      dropBody: (id: number) => this.bodies.drop(id),
      fetch: (id: number, head: Parameters<HostFetch['fetch']>[1]) => this.fetcher.fetch(id, head),
      abortFetch: (id: number) => this.fetcher.abort(id),
      ...this.platform.handlers,
    };
    this.base.adopt(handlers, (message) => {
      this.brokenBy = new HangarError(ErrorCode.INTERNAL, `the isolate of app ${this.app} failed in V8 and was abandoned`);
      runtime.logger.fatal({ app: this.app, message }, CATASTROPHE);
    });
    const config: AppConfig = { env: { ...deployment.env, ...lambda.environment }, bindings: bindings.guest };
    const { enter, drain } = this.base.attach(config, bindings.factories, deadline.remaining());
    this.entries = new GuestEntries({
      app: this.app,
      isolate: this.isolate,
      refs: { enter, drain },
      sameThread: this.sameThread,
      cpuMs: limits.cpuMs,
      wallMs: limits.wallMs,
      alive: () => this.alive,
      resuming: () => this.meter.kick(),
      hostCall: createHostCalls(handlers),
      waitUntil: (seq, pending) => this.scopes.get(seq as number)?.setPending(pending),
      log: (level, message) => this.log(level, message),
      entryFailed: (ops, error, failedDeadline, cpuBound) => this.entryFailed(ops, error, failedDeadline, cpuBound),
      outboxFailed: (error) => this.outboxFailed(error),
    });
    const script = await compileAppScript(this.isolate, lambda, this.scriptName);
    // Counted as running on the isolate's thread; what the app's top-level code starts is drained after it.
    await this.entries.onIsolateThread(script.run(this.base.context, { timeout: deadline.remaining(), reference: true, release: true }));
  }

  /** Writes the bootstrap's code cache from this isolate, whose requests compiled its functions (bootstrap-warm-up.ts). */
  recacheBootstrap(): Promise<void> {
    const work = recacheBootstrap(this.isolate);
    return this.entries ? this.entries.onIsolateThread(work) : work;
  }

  /** Answers one request; failures come back as HangarErrors carrying the right status. */
  async dispatch(request: Request, context: RequestContext, deadline: Deadline): Promise<Response> {
    if (!this.alive || !this.entries) throw this.replaced();
    const scope = new RequestScope(this.nextSeq++, context, requestDepth(request), this.meter.open(), this.options.limits.waitUntilMs, this.scopeOwner);
    this.scopes.set(scope.seq, scope);
    const body = request.body;
    const bodyId = body ? this.bodies.registerRequest(body) : null;
    if (bodyId !== null) scope.hold(bodyId);
    try {
      const head: RequestHead = { url: request.url, method: request.method, headers: headerPairs(request), body: bodyId, seq: scope.seq };
      const result = await this.request<DispatchResult>('dispatch', head, deadline, scope);
      if (bodyId !== null && this.bodies.exceeded(bodyId)) throw this.bodies.limitError();
      const response = hostResponse(result, this.responseSide, scope);
      scope.headAnswered();
      if (result.kind !== 'response' || typeof result.body !== 'number') scope.bodyFinished();
      return response;
    } catch (error) {
      const tooLarge = this.bodies.exceeded(bodyId);
      scope.bodyFinished();
      if (tooLarge) throw this.bodies.limitError();
      throw (
        this.failure(error, deadline) ??
        new HangarError(ErrorCode.APP_EXCEPTION, `app ${this.app} failed while handling the request: ${(error as Error).message}`, { details: { app: this.app } })
      );
    }
  }

  /**
   * Runs an entry that answers, and waits for its reply within the deadline and, for a request, within its CPU
   * time; a runaway isolate is disposed when the deadline passes.
   */
  private request<T>(op: EntryOp, arg: unknown, deadline: Deadline, scope?: RequestScope): Promise<T> {
    const { entries } = this;
    if (!this.alive || !entries) return Promise.reject(this.replaced());
    // The meter's last reading stands in for the CPU time now: what it misses is microseconds against a deadline.
    const cpuAtStart = this.meter.lastReading;
    const reply = new PendingReply<T>(entries, deadline, scope?.cpu, () => this.checkRunaway(cpuAtStart, deadline));
    entries.enter(op, arg, reply.token, deadline);
    return reply.promise;
  }

  private outboxFailed(error: unknown): void {
    if (!this.alive) return;
    this.dispose(this.failure(error, new Deadline(this.options.limits.wallMs, this.app)) ?? new HangarError(ErrorCode.INTERNAL, `the outbox of app ${this.app}'s isolate could not be read: ${(error as Error).message}`));
  }

  /**
   * A batch of entries threw. Out of time or memory, the isolate goes and every reply waiting fails. Otherwise it
   * was the app's: isolated-vm throws a promise rejection nobody handled out of the call it happened in, after the
   * call's work was done; what it answered is in the outbox, so the rejection is only logged.
   */
  private entryFailed(ops: readonly EntryOp[], error: unknown, deadline: Deadline, cpuBound: boolean): void {
    const failure =
      this.alive && error instanceof Error && error.message === TIMED_OUT && cpuBound
        ? this.meter.limitError('did not answer within its CPU-time limit')
        : this.failure(error, deadline);
    if (failure) {
      // Terminated mid-run (or gone): the guest's own state may be half-updated, so the isolate is replaced.
      this.dispose(failure);
      // A request waiting for a reply hears of it; the work of other entries is only logged.
      if (!ops.some((op) => REPLYING.has(op))) {
        const work = [...new Set(ops.map((op) => ENTRY_NAMES[op]))].join(', ');
        this.options.runtime.log({ level: 'error', message: `${work} of app ${this.app} failed: ${failure.message}`, app: this.app, code: failure.code });
      }
      return;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.options.runtime.log({ level: 'error', message: `app ${this.app}: Uncaught (in promise) ${message}`, app: this.app, code: ErrorCode.APP_EXCEPTION });
  }

  /**
   * isolated-vm's timeout covers only the synchronous part of a call: code that runs after an await escapes it.
   * So at a deadline, CPU use tells a runaway (replace the isolate) from a request that merely waits (keep it).
   */
  private checkRunaway(cpuAtStart: bigint, deadline: Deadline): void {
    if (!this.alive) return;
    this.stopRunaway(deadline.expired(), cpuMs(this.isolate.cpuTime - cpuAtStart) >= deadline.ms * RUNAWAY_CPU_SHARE);
  }

  /** A request hit a limit: a loop cannot be stopped but by disposing the isolate, so one still burning CPU goes. */
  private stopRunaway(reason: HangarError, burning: boolean): void {
    if (!this.alive) return;
    if (burning) {
      this.dispose(reason);
      return;
    }
    const before = this.isolate.cpuTime;
    setTimeout(() => {
      if (this.alive && cpuMs(this.isolate.cpuTime - before) >= RUNAWAY_WATCH_MS / 2) this.dispose(reason);
    }, RUNAWAY_WATCH_MS).unref();
  }

  /** A response body pulled from the guest one chunk at a time, each within the wall-time and CPU limits. */
  private responseBody(id: number, scope: RequestScope): ReadableStream<Uint8Array> {
    return guestStream({
      pull: async () => {
        const deadline = new Deadline(this.options.limits.wallMs, this.app);
        try {
          return chunkOf(await this.request<ChunkOutcome>('pull', id, deadline, scope));
        } catch (error) {
          const failure = this.failure(error, deadline) ?? new HangarError(ErrorCode.APP_EXCEPTION, `app ${this.app}'s response body failed: ${(error as Error).message}`);
          this.options.runtime.log({ level: 'error', message: `response body of app ${this.app} failed: ${failure.message}`, app: this.app, requestId: scope.requestId, code: failure.code });
          throw failure;
        }
      },
      cancel: () => this.entries?.enter('cancel', id),
      end: () => scope.bodyFinished(),
    });
  }

  /** A fetch() request body the host pulls from the guest as the outbound request sends it. */
  private uploadBody(id: number): ReadableStream<Uint8Array> {
    return guestStream({
      pull: async () => {
        const deadline = new Deadline(this.options.limits.wallMs, this.app);
        try {
          return chunkOf(await this.request<ChunkOutcome>('pullUpload', id, deadline));
        } catch (error) {
          throw this.failure(error, deadline) ?? new TypeError(`app ${this.app}'s fetch() request body failed: ${(error as Error).message}`);
        }
      },
      cancel: () => this.entries?.enter('cancelUpload', id),
      end: () => undefined,
    });
  }

  /**
   * What an isolated-vm failure means for the request, and whether the isolate must go. Null: the failure says
   * nothing about the isolate, so the caller names it.
   */
  private failure(error: unknown, deadline: Deadline): HangarError | null {
    if (error instanceof HangarError) return error;
    if (this.brokenBy) return this.replaced();
    if (this.isolate.isDisposed) {
      // Nothing of ours disposed it, so V8 did: the heap passed the memory limit.
      const outOfMemory = new HangarError(ErrorCode.LIMIT_MEMORY, `app ${this.app} ran out of its ${this.options.limits.memoryMb} MiB memory limit; its isolate was disposed`, {
        details: { app: this.app, limitMb: this.options.limits.memoryMb },
      });
      this.dispose(outOfMemory);
      return outOfMemory;
    }
    if (error instanceof Error && error.message === TIMED_OUT) {
      // Terminated mid-run: the guest's own state may be half-updated, so the isolate is replaced.
      const expired = deadline.expired();
      this.dispose(expired);
      return expired;
    }
    return null;
  }

  /** The error for a request that finds (or loses) its isolate broken. */
  private replaced(): HangarError {
    const cause = this.brokenBy;
    if (!cause) return new HangarError(ErrorCode.INTERNAL, `the isolate of app ${this.app} is gone`, { status: 503 });
    return new HangarError(cause.code, `the isolate of app ${this.app} was replaced: ${cause.message}`, { status: cause.status, details: cause.details });
  }

  private log(level: GuestLogLevel, message: string): void {
    const text = logLine(message);
    // With one request in flight the line is surely its; with several, no guess is made.
    const requestId = this.scopes.size === 1 ? this.scopes.values().next().value!.requestId : undefined;
    this.options.runtime.log({ level, message: text, app: this.app, ...(requestId ? { requestId } : {}) });
  }

  /** An app exception, its stack mapped to the app's sources when the Lambda carries a source map. */
  private logException(record: LogRecord): void {
    const { stack } = record;
    if (typeof stack !== 'string' || !stack) return this.options.runtime.log(record);
    mapStack(this.options.lambda, this.scriptName, stack).then(
      (mapped) => this.options.runtime.log({ ...record, stack: mapped }),
      () => this.options.runtime.log(record),
    );
  }

  private fireTimer(id: number): void {
    this.entries?.enter('timer', id);
  }

  /** Disposes the isolate once the requests it is serving are done (its deployment no longer serves, or it overran). */
  retire(): void {
    this.retiring = true;
    // Requests that were handed this isolate enter dispatch in the same turn; give them the chance.
    setImmediate(() => this.settleRetirement());
  }

  private settleRetirement(): void {
    if (this.retiring && this.scopes.size === 0) this.dispose();
  }

  /** Frees the isolate now; requests still in it fail with `reason`'s code. */
  dispose(reason?: HangarError): void {
    if (this.closing) return;
    this.closing = true;
    this.brokenBy ??= reason ?? new HangarError(ErrorCode.INTERNAL, `the isolate of app ${this.app} was closed`, { status: 503 });
    this.timers.clearAll();
    const gone = this.replaced();
    this.meter.stop(gone);
    this.fetcher.abortAll();
    for (const scope of [...this.scopes.values()]) scope.close();
    this.entries?.rejectAll(gone);
    this.bodies.releaseAll();
    this.platform.dispose();
    if (!this.isolate.isDisposed) {
      try {
        this.isolate.dispose();
      } catch {
        // Already being torn down by V8 (out of memory); nothing more to free.
      }
    }
    this.markDisposed();
  }
}
