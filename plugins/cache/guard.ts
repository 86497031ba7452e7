// Runs store calls so that a failing or silent store answers a fallback (a miss) instead of failing the app's request.
import { HangarError } from '../../core/errors.js';
import type { FailureLog } from './failure-log.js';

export class StoreGuard {
  constructor(
    private readonly failures: FailureLog,
    /** A store that has not answered by then is treated as failed for this call. */
    private readonly timeoutMs: number,
  ) {}

  /** `work`'s answer; on a store failure or timeout, `fallback` (and a log line). The app's own mistakes (HangarErrors) still throw. */
  async run<T>(what: string, work: () => Promise<T>, fallback: T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the store did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (error) {
      if (error instanceof HangarError) throw error;
      this.failures.failed(error, what);
      return fallback;
    } finally {
      clearTimeout(timer);
    }
  }
}
