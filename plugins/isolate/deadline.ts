// A wall-clock deadline: races work against the time left and says when it ran out.
import { ErrorCode, HangarError } from '../../core/errors.js';

export class Deadline {
  readonly startedAt = performance.now();

  constructor(
    readonly ms: number,
    private readonly app: string,
  ) {}

  /** Time left, ms; at least 1, since isolated-vm reads a 0 timeout as "none". */
  remaining(): number {
    return Math.max(1, Math.ceil(this.startedAt + this.ms - performance.now()));
  }

  expired(): HangarError {
    return new HangarError(ErrorCode.LIMIT_WALL_TIME, `app ${this.app} did not answer within its wall-time limit of ${this.ms} ms`, {
      details: { app: this.app, limitMs: this.ms },
    });
  }

  /** Settles with `work`, or rejects with LIMIT_WALL_TIME once the time is up, after calling `onExpire`. */
  race<T>(work: Promise<T>, onExpire: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        onExpire();
        reject(this.expired());
      }, this.remaining());
      work.then(
        (value) => (clearTimeout(timer), resolve(value)),
        (error: unknown) => (clearTimeout(timer), reject(error)),
      );
    });
  }
}
