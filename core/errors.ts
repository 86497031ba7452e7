// Hangar's one error type: every failure carries a stable code, an HTTP status and a message that says what to fix.

/** Stable error codes. Tests, logs and clients match on these, never on messages. */
export const ErrorCode = {
  /** A config file or option has a wrong or missing field. */
  CONFIG_INVALID: 'E_CONFIG_INVALID',
  /** An app, layer, source or file that was asked for does not exist. */
  NOT_FOUND: 'E_NOT_FOUND',
  /** A build job named a builder that is neither registered nor importable. */
  BUILDER_UNKNOWN: 'E_BUILDER_UNKNOWN',
  /** A builder threw, or returned something that is not a build result. */
  BUILD_FAILED: 'E_BUILD_FAILED',
  /** A Lambda asked for a runtime no executor serves. */
  EXECUTOR_UNKNOWN: 'E_EXECUTOR_UNKNOWN',
  /** No cacheStore tap could open the store that was asked for. */
  STORE_UNAVAILABLE: 'E_STORE_UNAVAILABLE',
  /** App code threw while handling a request. */
  APP_EXCEPTION: 'E_APP_EXCEPTION',
  /** App code finished without giving a response (no respondWith, no fetch export). */
  APP_NO_RESPONSE: 'E_APP_NO_RESPONSE',
  /** The request ran past its wall-clock deadline. */
  LIMIT_WALL_TIME: 'E_LIMIT_WALL_TIME',
  /** The request used more CPU time than its limit. */
  LIMIT_CPU_TIME: 'E_LIMIT_CPU_TIME',
  /** The isolate ran out of its memory limit and was disposed. */
  LIMIT_MEMORY: 'E_LIMIT_MEMORY',
  /** A body was larger than the configured limit. */
  LIMIT_BODY_SIZE: 'E_LIMIT_BODY_SIZE',
  /** A request made more fetch() calls than its subrequest limit. */
  LIMIT_SUBREQUESTS: 'E_LIMIT_SUBREQUESTS',
  /** A request came through more apps fetching apps than the depth limit allows (a loop). */
  LIMIT_DEPTH: 'E_LIMIT_DEPTH',
  /** Every isolate the process may hold is busy, so none could be made for the app. */
  LIMIT_ISOLATES: 'E_LIMIT_ISOLATES',
  /** A cache call went past a cache limit (value size, key length, tags per key, bytes per app). */
  LIMIT_CACHE: 'E_LIMIT_CACHE',
  /** The request itself is malformed. */
  BAD_REQUEST: 'E_BAD_REQUEST',
  /** The process running the app's isolate died mid-request (process executor mode); it is restarted. */
  EXECUTOR_CRASHED: 'E_EXECUTOR_CRASHED',
  /** A bug in Hangar or a plugin; the message says which part. */
  INTERNAL: 'E_INTERNAL',
} as const;

export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The default HTTP status for each code, used when the thrower does not give one. */
const defaultStatus: Record<ErrorCodeName, number> = {
  E_CONFIG_INVALID: 500,
  E_NOT_FOUND: 404,
  E_BUILDER_UNKNOWN: 500,
  E_BUILD_FAILED: 500,
  E_EXECUTOR_UNKNOWN: 500,
  E_STORE_UNAVAILABLE: 503,
  E_APP_EXCEPTION: 500,
  E_APP_NO_RESPONSE: 502,
  E_LIMIT_WALL_TIME: 504,
  E_LIMIT_CPU_TIME: 503,
  E_LIMIT_MEMORY: 503,
  E_LIMIT_BODY_SIZE: 413,
  E_LIMIT_SUBREQUESTS: 503,
  E_LIMIT_DEPTH: 508,
  E_LIMIT_ISOLATES: 503,
  E_LIMIT_CACHE: 413,
  E_BAD_REQUEST: 400,
  E_EXECUTOR_CRASHED: 502,
  E_INTERNAL: 500,
};

export interface HangarErrorOptions {
  /** HTTP status at the edge; defaults by code. */
  status?: number;
  /** The underlying error. */
  cause?: unknown;
  /** Structured facts for logs and JSON bodies (file, field, limit...). Never secrets. */
  details?: Record<string, unknown>;
}

export class HangarError extends Error {
  override readonly name = 'HangarError';
  readonly code: ErrorCodeName;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCodeName, message: string, options: HangarErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.details = options.details ?? {};
  }

  /** The JSON shape sent to clients and written to logs. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return Object.keys(this.details).length
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

/** Wraps anything thrown into a HangarError, keeping an existing one as it is. */
export function toHangarError(error: unknown, code: ErrorCodeName = ErrorCode.INTERNAL): HangarError {
  if (error instanceof HangarError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HangarError(code, message, { cause: error });
}
