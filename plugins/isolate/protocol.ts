// The shapes that cross the host↔isolate bridge, shared (as types only) by the host and guest/ code.

/** A request as the guest receives it. */
export interface RequestHead {
  url: string;
  method: string;
  headers: [string, string][];
  /** The id the guest pulls body chunks by (HostCalls.readBody), or null when the request has no body. */
  body: number | null;
  /** The request's number in this isolate, which the guest reports its waitUntil work under (HostBridge.waitUntil). */
  seq: number;
}

/** isolated-vm's ExternalCopy class as the guest holds it (in closures only: app code must never reach it). */
export type ExternalCopyClass = new (value: unknown, options?: { transferOut?: boolean }) => { copy(): unknown; release(): void };

/** A fetch() the guest asks the host to make. */
export interface FetchHead {
  url: string;
  method: string;
  headers: [string, string][];
  /** null: no body; bytes: sent whole; number: an upload stream the host pulls (EntryOp 'pullUpload'). */
  body: null | Uint8Array | number;
  redirect: 'follow' | 'error' | 'manual';
}

/** The host's answer to a fetch(): the response head, and the id its body is read by (HostCalls.readBody). */
export interface FetchAnswer {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The URL of the last hop, after redirects. */
  url: string;
  redirected: boolean;
  body: number | null;
}

/** null: no body; Uint8Array: the whole body, sent inline; number: a stream the host pulls (EntryOp 'pull'). */
export type ResponseBody = null | Uint8Array | number;

/** What one dispatch ends in. App failures are values, so the host can tell them from bridge failures. */
export type DispatchResult =
  | { kind: 'response'; status: number; statusText: string; headers: [string, string][]; body: ResponseBody }
  | { kind: 'exception'; name: string; message: string; stack: string }
  | { kind: 'no-response'; message: string };

export type GuestLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** A host call's outcome. Host functions never reject across the bridge: a host rejection would be unhandled. */
export type HostOutcome<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

/** The formats of the Compression Streams standard. */
export type CompressionFormat = 'gzip' | 'deflate' | 'deflate-raw';

/** One step of a guest (De)CompressionStream: a chunk in, the end, or more of the output a step left waiting. */
export type CodecStep =
  | { id: number; op: 'write'; format: CompressionFormat; decompress: boolean; chunk: Uint8Array }
  | { id: number; op: 'end'; format: CompressionFormat; decompress: boolean }
  | { id: number; op: 'more' };

/** What a codec step produced; `more` while output is still waiting (the guest asks again with op 'more'). */
export interface CodecOutput {
  chunks: Uint8Array[];
  more: boolean;
}

export type SubtleMethod =
  | 'digest' | 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'generateKey' | 'deriveBits' | 'deriveKey' | 'importKey' | 'exportKey' | 'wrapKey' | 'unwrapKey';

/** A CryptoKey as the guest gets it: the host keeps the key, the guest an opaque handle and a copy of its fields. */
export interface GuestKey {
  handle: number;
  type: string;
  extractable: boolean;
  algorithm: Record<string, unknown>;
  usages: string[];
}

/** Host calls whose outcome the host delivers later, through GuestApi.enter ('settle' or 'fail'), by the call's id. */
export interface HostCalls {
  /** Next chunk of a request body, or null at its end. */
  readBody(id: number): Promise<HostOutcome<Uint8Array | null>>;
  /**
   * Calls `methods[method]` of binding number `binding` (its index in AppConfig.bindings). Answers the method's value
   * itself, or rejects with the host's failure as an Error of the same name: this promise is the app's.
   */
  callBinding(binding: number, method: string, args: unknown[]): Promise<unknown>;
  /** Makes a fetch() for the app; `id` is the guest's, for abortFetch. */
  fetch(id: number, head: FetchHead): Promise<HostOutcome<FetchAnswer>>;
  /** A crypto.subtle method, run by the host's WebCrypto; keys travel as GuestKey handles. */
  subtle(method: SubtleMethod, args: unknown[]): Promise<HostOutcome<unknown>>;
  /** One step of a compression stream, run by the host's zlib. */
  codec(step: CodecStep): Promise<HostOutcome<CodecOutput>>;
}

export type HostCallName = keyof HostCalls;

/**
 * Host capabilities handed to the guest's install() once per isolate (GuestIsolate forwards them to the app that
 * adopts the isolate); the guest keeps them in closures only. All are fire-and-forget isolated-vm Callbacks except
 * randomBytes (synchronous) and ExternalCopy.
 */
export interface HostLink {
  /** A console line, at once (while the guest runs on its isolate's thread, see HostBridge.log). */
  log(level: GuestLogLevel, message: string): void;
  setTimer(id: number, delayMs: number): void;
  clearTimer(id: number): void;
  /** The guest no longer reads a host body (its stream was cancelled). */
  dropBody(id: number): void;
  abortFetch(id: number): void;
  /** isolated-vm's ExternalCopy class; `{ transferOut: true }` detaches an ArrayBuffer (structuredClone's transfer). */
  ExternalCopy: ExternalCopyClass;
  /** Random bytes (at most 65,536), synchronously: crypto.getRandomValues and randomUUID are synchronous. */
  randomBytes(length: number): Uint8Array;
  /** The guest holds no CryptoKey for this handle any more. */
  releaseKey(handle: number): void;
  /** A compression stream the guest cancelled or dropped before its end. */
  closeCodec(id: number): void;
}

/** The host as guest code uses it: the link, the host calls, and the outbox's waitUntil reports and log lines. */
export interface HostBridge extends HostLink, HostCalls {
  /** How many waitUntil promises of request `seq` are still pending. */
  waitUntil(seq: number, pending: number): void;
  /**
   * A line of the app's console (or an uncaught error). On the host's main thread it goes in the outbox, in order
   * with the answers around it; on the isolate's own thread it goes at once, so a run stopped by disposing the
   * isolate (the CPU meter's way there) has had its lines delivered.
   */
  log(level: GuestLogLevel, message: string): void;
}

/**
 * What the guest leaves for the host, in order, in its outbox (GuestApi.drain): answers to entries that asked for
 * one (by token), host calls to start (by call id), waitUntil counts, and console lines. Kept in one queue so the
 * host sees a waitUntil or a log line before the answer or last chunk that followed it.
 *
 * Laid out flat, one array for the whole drain, because copying out of an isolate costs per object: 32 cache calls
 * as nested messages took twice as long to copy as the same fields in one array. Each message is its kind, then:
 * - `'reply', token, value`
 * - `'waitUntil', seq, pending`
 * - `'log', level, message`
 * - `'call', callId, name, count, ...args` (the host call's `count` arguments)
 */
export type OutboxKind = 'reply' | 'call' | 'waitUntil' | 'log';

/**
 * Most string code units one drain of the outbox may carry. The copy out of the isolate writes a string once for
 * every place it is referenced, so a thousand host calls (or console lines) passing one 8 MB string would land 8 GB
 * on the host and kill it: the guest counts what it posts and refuses what would pass this (outbox.ts).
 */
export const OUTBOX_UNITS = 64 * 1024 * 1024;

/** Longest console line handed to the host, in code units. */
const LOG_MESSAGE_MAX = 16 * 1024;
/** Room for the note a cut line ends with, so a line the guest cut passes the host's cut unchanged. */
const LOG_NOTE_ROOM = 64;

/**
 * A console line cut to LOG_MESSAGE_MAX, with a note of how much was left out. The guest cuts, and the host again
 * (the guest's realm is the app's); a line already cut, note included, is left as it is.
 */
export function logLine(message: string): string {
  if (message.length <= LOG_MESSAGE_MAX + LOG_NOTE_ROOM) return message;
  return `${message.slice(0, LOG_MESSAGE_MAX)}… (${message.length - LOG_MESSAGE_MAX} more characters)`;
}

/**
 * Every way the host runs guest code, through GuestApi.enter. The guest function returns at once; whatever it
 * starts answers through the outbox. Each entry is the op and two arguments, unused ones undefined:
 * dispatch(head, token), pull(id, token), pullUpload(id, token), cancel(id), cancelUpload(id), timer(id),
 * settle(callId, value) for a host call that succeeded, fail(callId, { name, message }) for one that failed.
 */
export type EntryOp = 'dispatch' | 'pull' | 'pullUpload' | 'cancel' | 'cancelUpload' | 'timer' | 'settle' | 'fail';

/** How many slots one entry takes in a batch: its op and two arguments. */
export const ENTRY_STRIDE = 3;

/** A binding as the guest sees it: the names of its host methods, and whether a guest factory wraps it. */
export interface GuestBinding {
  name: string;
  methods: string[];
  /** Index into attach()'s factories, when the binding has guest source. */
  factory: number | null;
  /** `env`: at env[name]; `global`: a global of the isolate only (see AppBinding.scope). */
  scope: 'env' | 'global';
}

/** What the platform is installed with, once per isolate: a spare's, before any app is known. */
export interface PlatformConfig {
  /** Most timers an app may have pending at once. */
  maxTimers: number;
  /** navigator.userAgent: `hangar/<version>`. */
  userAgent: string;
}

/** What the app that adopts an isolate is attached with. */
export interface AppConfig {
  env: Record<string, string>;
  bindings: GuestBinding[];
}

/** An isolate with the platform installed, ready for its app. */
export interface GuestPlatform {
  /** Gives the app its env and bindings; answers the entry points the host runs it through. */
  attach(config: AppConfig, factories: ((raw: unknown) => unknown)[]): GuestApi;
}

/** Guest functions the host holds References to. */
export interface GuestApi {
  /**
   * Starts a batch of entries, `[op, a, b, op, a, b…]` (EntryOp), flat for the same reason the outbox is;
   * `onMainThread`: the host runs it synchronously. Never throws, and answers through the outbox.
   */
  enter(batch: unknown[], onMainThread: boolean): void;
  /** Takes the outbox: the messages left since the last drain, laid out flat (OutboxKind), or null when there are none. */
  drain(): unknown[] | null;
}

/** A reply to 'pull' and 'pullUpload': the next chunk (null at the end), or the failure reading it. */
export type ChunkOutcome = HostOutcome<Uint8Array | null>;

/** The bootstrap bundle's exports. */
export interface GuestModule {
  install(link: HostLink, config: PlatformConfig): GuestPlatform;
}
