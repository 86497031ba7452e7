// The host side of the bridge: wraps host handlers as isolated-vm Callbacks/References that never throw or reject.
import ivm from 'isolated-vm';
import { HangarError } from '../../core/errors.js';
import type { CodecOutput, CodecStep, FetchAnswer, FetchHead, GuestLogLevel, HostBridge, HostOutcome } from './protocol.js';

/** The native work behind the guest's web platform (host-platform.ts): entropy, WebCrypto, zlib. */
export interface PlatformHandlers {
  randomBytes(length: number): Uint8Array;
  subtle(method: unknown, args: unknown): Promise<unknown>;
  releaseKey(handle: number): void;
  codec(step: CodecStep): Promise<CodecOutput>;
  closeCodec(id: number): void;
}

/** What one isolate's guest may ask of the host. */
export interface BridgeHandlers extends PlatformHandlers {
  log(level: GuestLogLevel, message: string): void;
  setTimer(id: number, delayMs: number): void;
  clearTimer(id: number): void;
  readBody(id: number): Promise<Uint8Array | null>;
  callBinding(binding: number, method: string, args: unknown[]): Promise<unknown>;
  dropBody(id: number): void;
  fetch(id: number, head: FetchHead): Promise<FetchAnswer>;
  abortFetch(id: number): void;
  waitUntil(seq: number, pending: number): void;
}

const LOG_LEVELS = new Set<GuestLogLevel>(['trace', 'debug', 'info', 'warn', 'error']);

/**
 * An outcome copied out of the host heap; a value that cannot be copied becomes a failed outcome. With `moveBytes`,
 * a Uint8Array value that spans its whole buffer moves into the isolate without a copy.
 */
function transfer(outcome: HostOutcome<unknown>, moveBytes = false): ivm.Copy<HostOutcome<unknown>> {
  try {
    const bytes = moveBytes && outcome.ok && outcome.value instanceof Uint8Array ? outcome.value : undefined;
    // Only a view over its whole buffer moves: a slice (a Buffer from Node's pool, a subarray) shares its buffer with
    // other bytes, and moving it would empty them; those are copied.
    if (bytes && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return new ivm.ExternalCopy(outcome, { transferList: [bytes.buffer] }).copyInto({ release: true, transferIn: true });
    return new ivm.ExternalCopy(outcome).copyInto({ release: true });
  } catch {
    return new ivm.ExternalCopy({ ok: false, name: 'DataCloneError', message: 'the host answered a value that cannot be copied into the isolate' }).copyInto({
      release: true,
    }) as ivm.Copy<HostOutcome<unknown>>;
  }
}

/**
 * An async host function for the guest. A rejection that crossed the bridge would be unhandled in the host
 * and would carry host stack frames into the isolate, so failures travel as values with only a name and message.
 */
function asyncHostFunction<Args extends unknown[]>(handler: (...args: Args) => Promise<unknown>, moveBytes = false): ivm.Reference {
  return new ivm.Reference(async (...args: Args) => {
    try {
      return transfer({ ok: true, value: await handler(...args) }, moveBytes);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      // A limit or a refusal keeps its code, so the app (and its log) can tell which one it met.
      const message = error instanceof HangarError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
      return transfer({ ok: false, name, message });
    }
  });
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
 * The bridge object handed to the guest's install(), to be passed with `arguments: { copy: true }`. `externalCopy`
 * is a Reference to isolated-vm's ExternalCopy class made inside the isolate.
 */
export function createBridge(handlers: BridgeHandlers, externalCopy: ivm.Reference): HostBridge {
  const bridge = {
    log: ignoredHostFunction((level: unknown, message: unknown) => {
      if (LOG_LEVELS.has(level as GuestLogLevel) && typeof message === 'string') handlers.log(level as GuestLogLevel, message);
    }),
    setTimer: ignoredHostFunction((id: unknown, delayMs: unknown) => {
      if (Number.isSafeInteger(id) && typeof delayMs === 'number' && delayMs >= 0) handlers.setTimer(id as number, delayMs);
    }),
    clearTimer: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.clearTimer(id as number);
    }),
    readBody: asyncHostFunction(async (id: unknown) => {
      if (!Number.isSafeInteger(id)) throw new TypeError('readBody: the body id must be an integer');
      return handlers.readBody(id as number);
    }, true),
    dropBody: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.dropBody(id as number);
    }),
    fetch: asyncHostFunction(async (id: unknown, head: unknown) => {
      if (!Number.isSafeInteger(id) || !isFetchHead(head)) throw new TypeError('fetch: the request the guest passed is malformed');
      return handlers.fetch(id as number, head);
    }),
    abortFetch: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.abortFetch(id as number);
    }),
    waitUntil: ignoredHostFunction((seq: unknown, pending: unknown) => {
      if (Number.isSafeInteger(seq) && Number.isSafeInteger(pending) && (pending as number) >= 0) handlers.waitUntil(seq as number, pending as number);
    }),
    ExternalCopy: externalCopy.derefInto(),
    // Synchronous (crypto.getRandomValues is): the isolate waits for the host; the handler never throws.
    randomBytes: new ivm.Callback((length: unknown) => handlers.randomBytes(Number.isSafeInteger(length) ? (length as number) : 0)),
    subtle: asyncHostFunction(async (method: unknown, args: unknown) => handlers.subtle(method, args)),
    releaseKey: ignoredHostFunction((handle: unknown) => {
      if (Number.isSafeInteger(handle)) handlers.releaseKey(handle as number);
    }),
    codec: asyncHostFunction(async (step: unknown) => {
      if (typeof step !== 'object' || step === null) throw new TypeError('codec: the step the guest passed is malformed');
      return handlers.codec(step as CodecStep);
    }),
    closeCodec: ignoredHostFunction((id: unknown) => {
      if (Number.isSafeInteger(id)) handlers.closeCodec(id as number);
    }),
    callBinding: asyncHostFunction(async (binding: unknown, method: unknown, args: unknown) => {
      if (!Number.isSafeInteger(binding) || typeof method !== 'string' || !Array.isArray(args)) {
        throw new TypeError('a binding call needs a binding index, a method name and an argument list');
      }
      return handlers.callBinding(binding as number, method, args);
    }),
  };
  return bridge as unknown as HostBridge;
}
