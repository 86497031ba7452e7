// The recursion guard: a request that went through more apps fetching apps than limits.fetchDepth answers 508.
import { ErrorCode, HangarError } from '../../core/errors.js';
import { DEPTH_HEADER, requestDepth } from '../../core/outbound.js';
import type { EdgeRuntime } from '../../core/runtime.js';

export function tapRecursionGuard(runtime: EdgeRuntime, name: string): void {
  runtime.hooks.request.tap(name, (request) => {
    const depth = requestDepth(request);
    const max = runtime.limits.fetchDepth;
    if (depth > max) {
      throw new HangarError(ErrorCode.LIMIT_DEPTH, `the request went through ${depth} apps fetching apps (${DEPTH_HEADER}), more than limits.fetchDepth (${max}); an app is probably fetching itself in a loop`, {
        details: { depth, limit: max },
      });
    }
    return request;
  });
}
