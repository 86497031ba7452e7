// The builder host's errors: what failed, always naming the app, and for a job its builder and entrypoint.
import { ErrorCode, HangarError, toHangarError } from '../../core/errors.js';
import type { AppModule } from '../../core/layer.js';

export function withApp(error: HangarError, app: AppModule): HangarError {
  return new HangarError(error.code, `app ${app.name}: ${error.message}`, { status: error.status, cause: error, details: { app: app.name, ...error.details } });
}

/** Wraps whatever a builder threw into one E_BUILD_FAILED that names the app, the builder and the entrypoint. */
export function jobError(error: unknown, app: AppModule, use: string, entrypoint: string): HangarError {
  const cause = toHangarError(error, ErrorCode.BUILD_FAILED);
  return new HangarError(ErrorCode.BUILD_FAILED, `app ${app.name}: builder ${use} failed on ${entrypoint}: ${cause.message}`, {
    cause: error,
    details: { ...cause.details, app: app.name, builder: use, entrypoint },
  });
}
