// The host side of the bridge: the guest's fire-and-forget Callbacks, and the host calls it starts through its outbox.
import ivm from 'isolated-vm';
import { HangarError } from '../../core/errors.js';
import type { CodecOutput, CodecStep, FetchAnswer, FetchHead, GuestLogLevel, HostCallName, HostLink, HostOutcome } from './protocol.js';

/** The native work behind the guest's web platform (host-platform.ts): entropy, WebCrypto, zlib. */
export interface PlatformHandlers {
  randomBytes(length: number): Uint8Array;
  subtle(method: unknown, args: unknown): Promise<unknown>;
  releaseKey(handle: number): void;
  codec(step: CodecStep): Promise<CodecOutput>;
  closeCodec(id: number): void;
}

/** What the guest's link (HostLink) calls on the host: the isolate's app once one adopted it (guest-isolate.ts). */
export type LinkHandlers = Pick<BridgeHandlers, 'log' | 'setTimer' | 'clearTimer' | 'dropBody' | 'abortFetch' | 'randomBytes' | 'releaseKey' | 'closeCodec'>;

/** What one isolate's guest may ask of the host. */
export interface BridgeHandlers extends PlatformHandlers {
  log(level: GuestLogLevel, message: string): void;
  setTimer(id: number, delayMs: number): void;
  clearTimer(id: number): void;
  readBody(id: number): Promise<Uint8Array | null>;
  /** The method's answer, a promise or a value; throws for a method the binding does not have. */
  callBinding(binding: number, method: string, args: unknown[]): unknown;
  dropBody(id: number): void;
  fetch(id: number, head: FetchHead): Promise<FetchAnswer>;
  abortFetch(id: number): void;
}

/** Where a host call's outcome goes: the guest's next batch (guest-entries.ts), with the buffer that may move in. */
export type SettleHostCall = (outcome: HostOutcome<unknown>, move?: ArrayBuffer) => void;

/**
 * Settles a call that succeeded (guest-entries.ts fails it instead if its value cannot be copied). A Uint8Array value
 * that spans its whole buffer (a request body chunk) moves into the isolate without a copy; a slice (a Buffer from
 * Node's pool, a subarray) shares its buffer with other bytes, and moving it would empty them: those are copied.
 */
function succeeded(name: HostCallName, value: unknown, settle: SettleHostCall): void {
  const movable = name === 'readBody' && value instanceof Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && value.buffer instanceof ArrayBuffer;
  settle({ ok: true, value }, movable ? (value.buffer as ArrayBuffer) : undefined);
}

/** A failure as the guest gets it: only a name and message, never a host stack. */
function failed(error: unknown): HostOutcome<never> {
  const name = error instanceof Error ? error.name : 'Error';
  // A limit or a refusal keeps its code, so the app (and its log) can tell which one it met.
  const message = error instanceof HangarError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
  return { ok: false, name, message };
}

/** A fire-and-forget host function for the guest (isolated-vm ignores its result and exceptions). */
function ignoredHostFunction<Args extends unknown[]>(handler: (...args: Args) => void): ivm.Callback {
  return new ivm.Callback(
    (...args: Args) => {
      try {
        handler(...args);
      } catch {
        // A bad argument from the guest is dropped, never thrown back into the host's event loop.
      }
    },
    { ignored: true },
  );
}

export const LOG_LEVELS = new Set<GuestLogLevel>(['trace', 'debug', 'info', 'warn', 'error']);

/** A fetch head from the guest, checked field by field before the host acts on it. */
function isFetchHead(head: unknown): head is FetchHead {
  const h = head as FetchHead;
  return (
    typeof h === 'object' && h !== null && typeof h.url === 'string' && typeof h.method === 'string' && Array.isArray(h.headers) &&
    h.headers.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') &&
    (h.body === null || h.body instanceof Uint8Array || Number.isSafeInteger(h.body)) && ['follow', 'error', 'manual'].includes(h.redirect)
  );
}

/**
 * The link handed to the guest's install(), to be passed with `arguments: { copy: true }`. `externalCopy` is a
 * Reference to isolated-vm's ExternalCopy class made inside the isolate.
 */
export function createLink(handlers: LinkHandlers, externalCopy: ivm.Reference): HostLink {
  const link = {
    log: ignoredHostFunction((level: unknown, message: unknown) => {
      if (LOG_LEVELS.has(level as GuestLogLevel) && typeof message === 'string') handlers.log(level as GuestLogLevel, message);
    }),
    setTimer: ignoredHostFunction((id: unknown, delayMs: unknown) => {
      if (Number.isSafeInteger(id) && typeof delayMs === 'number' && delayMs >= 0) handlers.setTimer(id as number, delayMs);
    }),
    clearTimer: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.clearTimer(id as number);
    }),
    dropBody: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.dropBody(id as number);
    }),
    abortFetch: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.abortFetch(id as number);
    }),
    ExternalCopy: externalCopy.derefInto(),
    // Synchronous (crypto.getRandomValues is): the isolate waits for the host; the handler never throws.
    randomBytes: new ivm.Callback((length: unknown) => handlers.randomBytes(Number.isSafeInteger(length) ? (length as number) : 0)),
    releaseKey: ignoredHostFunction((handle: unknown) => {
      if (Number.isSafeInteger(handle)) handlers.releaseKey(handle as number);
    }),
    closeCodec: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.closeCodec(id as number);
    }),
  };
  return link as unknown as HostLink;
}

/** Each host call: checks the guest's arguments (they come from app-reachable code) and runs the handler. */
function callTable(handlers: BridgeHandlers): Record<HostCallName, (args: unknown[]) => unknown> {
  return {
    async readBody([id]) {
      if (!Number.isSafeInteger(id)) throw new TypeError('readBody: the body id must be an integer');
      return handlers.readBody(id as number);
    },
    async fetch([id, head]) {
      if (!Number.isSafeInteger(id) || !isFetchHead(head)) throw new TypeError('fetch: the request the guest passed is malformed');
      return handlers.fetch(id as number, head);
    },
    subtle: async ([method, args]) => handlers.subtle(method, args),
    async codec([step]) {
      if (typeof step !== 'object' || step === null) throw new TypeError('codec: the step the guest passed is malformed');
      return handlers.codec(step as CodecStep);
    },
    // Not async: the answer goes straight to createHostCalls, which catches a throw. The app's arguments follow the
    // binding and the method (guest/host-calls.ts).
    callBinding(args) {
      const [binding, method] = args;
      if (!Number.isSafeInteger(binding) || typeof method !== 'string') throw new TypeError('a binding call needs a binding index and a method name');
      return handlers.callBinding(binding as number, method, args.slice(2));
    },
  };
}

/**
 * Runs the host calls the guest starts (the outbox's 'call'). The outcome goes to `settle`, never a rejection (a host
 * rejection would carry host stack frames into the isolate). A callback, not a promise of the outcome: each promise
 * layer an answer passes through costs every cache op microtask turns.
 */
export function createHostCalls(handlers: BridgeHandlers): (name: unknown, args: unknown[], settle: SettleHostCall) => void {
  const table = callTable(handlers);
  return (name, args, settle) => {
    let answer: unknown;
    try {
      const run = typeof name === 'string' && Object.hasOwn(table, name) ? table[name as HostCallName] : undefined;
      if (!run) throw new TypeError(`the guest asked for an unknown host call ${String(name)}`);
      answer = run(args);
    } catch (error) {
      settle(failed(error));
      return;
    }
    // A native promise comes back from Promise.resolve as it is: no extra turn for the usual answer.
    Promise.resolve(answer).then(
      (value) => succeeded(name as HostCallName, value, settle),
      (error: unknown) => settle(failed(error)),
    );
  };
}
