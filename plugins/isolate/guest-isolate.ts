// A new isolate with the guest bootstrap run and the platform installed, waiting for its app: what every app's isolate starts from.
import ivm from 'isolated-vm';
import { compileBootstrap, runChunk } from './bootstrap.js';
import { createLink, type LinkHandlers } from './bridge.js';
import { randomBytes } from './host-crypto.js';
import { idnaData } from './lazy-idna-table.js';
import type { PlatformConfig } from './protocol.js';

export type CatastropheHandler = (message: string) => void;

/** The guest's entry points for the app that adopted the isolate. */
export interface AttachedGuest {
  enter: ivm.Reference;
  drain: ivm.Reference;
}

/** Until an app adopts the isolate, its link has nobody to call: nothing is logged, timed or freed, but entropy is given. */
const UNADOPTED: LinkHandlers = {
  log: () => undefined,
  setTimer: () => undefined,
  clearTimer: () => undefined,
  dropBody: () => undefined,
  abortFetch: () => undefined,
  randomBytes,
  releaseKey: () => undefined,
  closeCodec: () => undefined,
};

export class GuestIsolate {
  readonly isolate: ivm.Isolate;
  private onCatastrophe: CatastropheHandler;
  /** Where the link's calls go: the adopting app's handlers. */
  private handlers: LinkHandlers = UNADOPTED;
  /** The context, and the platform's attach(config, factories). */
  private ready?: { context: ivm.Context; attach: ivm.Reference };

  private constructor(
    readonly memoryMb: number,
    onCatastrophe: CatastropheHandler,
  ) {
    this.onCatastrophe = onCatastrophe;
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: (message) => this.onCatastrophe(message) });
  }

  /**
   * Creates the isolate and its context, runs the bootstrap and installs the platform within `timeoutMs` (all of it
   * before any app is known, so a spare has it done); rejects with isolated-vm's error.
   */
  static async create(memoryMb: number, timeoutMs: number, config: PlatformConfig, onCatastrophe: CatastropheHandler): Promise<GuestIsolate> {
    const guest = new GuestIsolate(memoryMb, onCatastrophe);
    const started = Date.now();
    const left = () => Math.max(1, timeoutMs - (Date.now() - started));
    try {
      const context = await guest.isolate.createContext();
      const bootstrap = await compileBootstrap(guest.isolate);
      const boot = (await bootstrap.run(context, { reference: true, timeout: left() })) as ivm.Reference;
      // The guest calls it, synchronously, the first time its app uses a chunk (guest/lazy-chunk.ts).
      const loadChunk = new ivm.Reference((name: unknown) => runChunk(guest.isolate, context, name));
      const install = (await boot.apply(undefined, [await idnaData(), loadChunk], { result: { reference: true }, timeout: left() })) as ivm.Reference;
      boot.release();
      // isolated-vm's ExternalCopy class, made inside the isolate (the guest detaches ArrayBuffers with it).
      const externalCopy = (await context.evalClosure('return $0.ExternalCopy', [ivm], { result: { reference: true } })) as ivm.Reference;
      // The link's handlers are read at each call: the app that adopts the isolate later gets the calls.
      const forward: LinkHandlers = {
        log: (level, message) => guest.handlers.log(level, message),
        setTimer: (id, delayMs) => guest.handlers.setTimer(id, delayMs),
        clearTimer: (id) => guest.handlers.clearTimer(id),
        dropBody: (id) => guest.handlers.dropBody(id),
        abortFetch: (id) => guest.handlers.abortFetch(id),
        randomBytes: (length) => guest.handlers.randomBytes(length),
        releaseKey: (handle) => guest.handlers.releaseKey(handle),
        closeCodec: (id) => guest.handlers.closeCodec(id),
      };
      const platform = (await install.apply(undefined, [createLink(forward, externalCopy), config], {
        arguments: { copy: true },
        result: { reference: true },
        timeout: left(),
      })) as ivm.Reference;
      install.release();
      const attach = (await platform.get('attach', { reference: true })) as ivm.Reference;
      platform.release();
      guest.ready = { context, attach };
      return guest;
    } catch (error) {
      guest.dispose();
      throw error;
    }
  }

  get context(): ivm.Context {
    return this.ready!.context;
  }

  /** Hands the isolate to the app that will run in it: its link's calls and V8 failures are the app's from now on. */
  adopt(handlers: LinkHandlers, onCatastrophe: CatastropheHandler): void {
    this.handlers = handlers;
    this.onCatastrophe = onCatastrophe;
  }

  /**
   * Attaches the app (the guest's attach(config, factories)) and answers its entry points. Synchronous, on the
   * calling thread: nothing else runs in a new isolate, and each trip to its own thread cost a cold start about as
   * much as the work done there.
   */
  attach(config: unknown, factories: ivm.Reference[], timeoutMs: number): AttachedGuest {
    const api = this.ready!.attach.applySync(undefined, [config, factories.map((factory) => factory.derefInto())], {
      arguments: { copy: true },
      result: { reference: true },
      timeout: timeoutMs,
    }) as ivm.Reference;
    try {
      return { enter: api.getSync('enter', { reference: true }) as ivm.Reference, drain: api.getSync('drain', { reference: true }) as ivm.Reference };
    } finally {
      api.release();
    }
  }

  dispose(): void {
    if (this.isolate.isDisposed) return;
    try {
      this.isolate.dispose();
    } catch {
      // Already torn down by V8.
    }
  }
}
