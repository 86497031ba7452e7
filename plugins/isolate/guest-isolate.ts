// A new isolate with the guest bootstrap run and install() not yet called: what every app's isolate starts from.
import ivm from 'isolated-vm';
import { compileBootstrap, runChunk } from './bootstrap.js';
import { idnaData } from './lazy-idna-table.js';

export type CatastropheHandler = (message: string) => void;

export class GuestIsolate {
  readonly isolate: ivm.Isolate;
  private onCatastrophe: CatastropheHandler;
  private ready?: { context: ivm.Context; install: ivm.Reference; externalCopy: ivm.Reference };

  private constructor(
    readonly memoryMb: number,
    onCatastrophe: CatastropheHandler,
  ) {
    this.onCatastrophe = onCatastrophe;
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: (message) => this.onCatastrophe(message) });
  }

  /** Creates the isolate and its context, and runs the bootstrap within `timeoutMs`; rejects with isolated-vm's error. */
  static async create(memoryMb: number, timeoutMs: number, onCatastrophe: CatastropheHandler): Promise<GuestIsolate> {
    const guest = new GuestIsolate(memoryMb, onCatastrophe);
    try {
      const context = await guest.isolate.createContext();
      const bootstrap = await compileBootstrap(guest.isolate);
      const started = Date.now();
      const boot = (await bootstrap.run(context, { reference: true, timeout: timeoutMs })) as ivm.Reference;
      // The guest calls it, synchronously, the first time its app uses a chunk (guest/lazy-chunk.ts).
      const loadChunk = new ivm.Reference((name: unknown) => runChunk(guest.isolate, context, name));
      const install = (await boot.apply(undefined, [await idnaData(), loadChunk], {
        result: { reference: true },
        timeout: Math.max(1, timeoutMs - (Date.now() - started)),
      })) as ivm.Reference;
      boot.release();
      // isolated-vm's ExternalCopy class, made inside the isolate (the guest detaches ArrayBuffers with it).
      const externalCopy = (await context.evalClosure('return $0.ExternalCopy', [ivm], { result: { reference: true } })) as ivm.Reference;
      guest.ready = { context, install, externalCopy };
      return guest;
    } catch (error) {
      guest.dispose();
      throw error;
    }
  }

  get context(): ivm.Context {
    return this.ready!.context;
  }

  /** The bootstrap's install(bridge, config, factories). */
  get install(): ivm.Reference {
    return this.ready!.install;
  }

  /** isolated-vm's ExternalCopy class in this isolate, for the bridge. */
  get externalCopy(): ivm.Reference {
    return this.ready!.externalCopy;
  }

  /** Hands the isolate to the app that will run in it: V8 failures are reported there from now on. */
  adopt(onCatastrophe: CatastropheHandler): void {
    this.onCatastrophe = onCatastrophe;
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
