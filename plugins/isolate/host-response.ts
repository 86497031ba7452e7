// Turns what the guest's dispatch answered into a host Response, or into the HangarError it stands for.
import { bytesResponse } from '../../core/complete-body.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { LogRecord } from '../../core/context.js';
import type { DispatchResult } from './protocol.js';
import type { RequestScope } from './request-scope.js';

/** The isolate a response comes from (one object per isolate, not per request). */
export interface ResponseSide {
  app: string;
  log(record: LogRecord): void;
  /** The host stream for a guest body stream id of the request `scope`. */
  stream(id: number, scope: RequestScope): ReadableStream<Uint8Array>;
  /** Drops a guest body stream the host will not read. */
  cancel(id: number): void;
}

function isPair(value: unknown): value is [string, string] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';
}

/** The result is a copy of guest data, so every field is checked before the host trusts it. */
export function hostResponse(result: DispatchResult, side: ResponseSide, scope: RequestScope): Response {
  const { app } = side;
  const { requestId } = scope;
  const details = { app };
  switch (result?.kind) {
    case 'exception':
      side.log({ level: 'error', message: `Uncaught ${result.name}: ${result.message}`, app, requestId, stack: result.stack });
      throw new HangarError(ErrorCode.APP_EXCEPTION, `app ${app} threw an exception while handling the request; its log has the stack`, { details });
    case 'no-response':
      throw new HangarError(ErrorCode.APP_NO_RESPONSE, `app ${app} gave no response: ${result.message}`, { details });
    case 'response': {
      const { status, statusText, headers, body } = result;
      const bodyOk = body === null || body instanceof Uint8Array || Number.isSafeInteger(body);
      const valid = Number.isInteger(status) && typeof statusText === 'string' && Array.isArray(headers) && headers.every(isPair) && bodyOk;
      try {
        if (!valid) throw new TypeError('its status, headers or body are malformed');
        const init = { status, statusText, headers };
        if (body instanceof Uint8Array) return bytesResponse(body, init);
        return new Response(typeof body === 'number' ? side.stream(body, scope) : null, init);
      } catch (error) {
        if (typeof body === 'number') side.cancel(body);
        throw new HangarError(ErrorCode.APP_EXCEPTION, `app ${app} answered a response the host cannot send: ${(error as Error).message}`, { details });
      }
    }
  }
  throw new HangarError(ErrorCode.APP_EXCEPTION, `app ${app} answered something that is not a response`, { details });
}
