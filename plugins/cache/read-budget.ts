// ReadBudget: how many bytes one app's cache reads may be answering at once, so reads cannot flood the host.
import { ErrorCode, HangarError } from '../../core/errors.js';

/**
 * An app reading one large value a thousand times at once (`Promise.all` of gets, or `getMulti` naming it over and
 * over) would have the host hold, and copy into the isolate, a thousand copies of it: enough to exhaust the host's
 * memory. So what the reads of one app in flight answer, as stored, may total at most `limits.cacheReadBytes`; a read
 * past it fails with E_LIMIT_CACHE, before its values are fetched. Reads awaited one after another never add up.
 */
export class ReadBudget {
  /** Bytes taken by reads that have not answered yet. */
  private outstanding = 0;

  constructor(
    readonly app: string,
    private readonly limit: number,
  ) {}

  /** What reads started now may still answer, in bytes. */
  get remaining(): number {
    return Math.max(0, this.limit - this.outstanding);
  }

  /** Counts a read of `bytes` until release(); past the limit, throws the E_LIMIT_CACHE error instead. */
  take(bytes: number): void {
    if (this.outstanding + bytes > this.limit) throw this.exceeded();
    this.outstanding += bytes;
  }

  /** A read taken with take() has answered. */
  release(bytes: number): void {
    this.outstanding -= bytes;
  }

  /** The error for a read past the budget. */
  exceeded(): HangarError {
    return new HangarError(
      ErrorCode.LIMIT_CACHE,
      `app ${this.app}'s cache reads in flight would answer more than ${this.limit} bytes; read large values fewer at a time (await some before starting others) or raise limits.cacheReadBytes`,
      { details: { limit: 'cacheReadBytes', max: this.limit } },
    );
  }
}
