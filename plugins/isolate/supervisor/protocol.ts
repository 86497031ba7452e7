// The messages between the process executor and its child processes, sent over IPC with V8 serialization.
import type { AppBinding } from '../../../core/bindings.js';
import type { ErrorCodeName } from '../../../core/errors.js';
import type { ExecutorOptions, Limits } from '../../../core/options.js';
import type { ReadyPart } from './body-channel.js';

/** A HangarError as it crosses the process boundary. */
export interface WireError {
  code: ErrorCodeName;
  message: string;
  status: number;
  details: Record<string, unknown>;
}

/** What a child needs of a deployment to run its Lambdas. */
export interface ShippedDeployment {
  id: string;
  app: string;
  hostnames: string[];
  env: Record<string, string>;
}

/** An edge Lambda: its one script and the settings it runs under. */
export interface ShippedLambda {
  /** The output path the router chose for it. */
  path: string;
  handler: string;
  source: string;
  environment: Record<string, string>;
  memory?: number;
  maxDuration?: number;
  digest?: string;
}

/** A binding as the child sees it: its data fields as they are, its host methods by name (they stay in the parent). */
export type ShippedBinding = Omit<AppBinding, 'methods'> & { methods: string[] };

export interface RequestMessage {
  t: 'request';
  id: number;
  /** The shipped deployment and Lambda it runs (ShipMessage.key). */
  key: string;
  requestId: string;
  url: string;
  method: string;
  headers: [string, string][];
  /** The body's first chunks (all of a small one), the rest following as chunk messages; null: no body. */
  body: ReadyPart | null;
}

/**
 * A body crossing the boundary, sent in chunks as the receiver grants credit (so neither side buffers more than
 * a window). The sender sends chunk/end/abort; the receiver sends credit/cancel. A request id names the request
 * body going to the child and the response body coming back, so the direction tells them apart.
 */
export type BodyMessage =
  | { t: 'chunk'; id: number; chunk: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number; error: WireError }
  | { t: 'credit'; id: number; chunks: number }
  | { t: 'cancel'; id: number };

export type ToChild =
  | { t: 'batch'; messages: ToChild[] }
  | { t: 'init'; limits: Limits; spareIsolates: number; sameThread: ExecutorOptions['sameThread']; bootstrap: string }
  /** `key` is `<deployment id>\0<path>`; `active` is false for a deployment that no longer serves (a late request). */
  | { t: 'ship'; key: string; deployment: ShippedDeployment; lambda: ShippedLambda; active: boolean }
  | { t: 'release'; deploymentId: string }
  /** The parent asks whether the child's event loop still turns (ExecutorOptions.livenessMs). */
  | { t: 'ping' }
  | RequestMessage
  | BodyMessage
  | { t: 'bindings-answer'; call: number; ok: true; handle: number; bindings: ShippedBinding[] }
  | { t: 'bindings-answer'; call: number; ok: false; error: WireError }
  | { t: 'call-answer'; call: number; ok: true; value: unknown }
  | { t: 'call-answer'; call: number; ok: false; name: string; message: string };

export type ToParent =
  | { t: 'batch'; messages: ToParent[] }
  | { t: 'ready' }
  | { t: 'pong' }
  | { t: 'head'; id: number; status: number; statusText: string; headers: [string, string][]; body: ReadyPart | null }
  | { t: 'failed'; id: number; error: WireError }
  | BodyMessage
  /** One pino line of the child's logger. */
  | { t: 'log'; line: string }
  | { t: 'bindings'; call: number; app: string; deploymentId: string }
  | { t: 'call'; call: number; handle: number; index: number; method: string; args: unknown[] };
