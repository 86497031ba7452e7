// HangarErrors across the process boundary: anything thrown becomes a code, a status and a message, and back.
import { ErrorCode, HangarError, toHangarError } from '../../../core/errors.js';
import type { WireError } from './protocol.js';

export function toWire(error: unknown): WireError {
  const failure = toHangarError(error);
  return { code: failure.code, message: failure.message, status: failure.status, details: failure.details };
}

export function fromWire(error: WireError): HangarError {
  const code = Object.values(ErrorCode).includes(error.code) ? error.code : ErrorCode.INTERNAL;
  return new HangarError(code, error.message, { status: error.status, details: error.details });
}
