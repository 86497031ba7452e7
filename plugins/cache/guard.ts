// Runs store calls so that a failing or silent store answers a fallback (a miss) instead of failing the app's request.
import { HangarError } from '../../core/errors.js';
import { attempt } from './attempt.js';
import type { FailureLog } from './failure-log.js';

/** What the guard's queue of calls in flight, by start time, needs of each. */
interface Pending {
  readonly deadline: number;
  /** Set once the store answered or the deadline passed: whichever came first settled the call. */
  readonly done: boolean;
  next?: Pending;
  expire(timeoutMs: number): void;
}

/** Settled calls the queue may hold behind a slow one before it is swept, beyond twice the calls still waiting. */
const SWEEP_SLACK = 1024;

/** One guarded call. Methods, not closures: this runs for every cache op. */
class Call<T> implements Pending {
  done = false;
  next?: Pending;

  constructor(
    private readonly guard: StoreGuard,
    private readonly what: string,
    private readonly fallback: T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
    readonly deadline: number,
  ) {}

  answered(value: T): void {
    if (!this.settle()) return;
    this.resolve(value);
  }

  failed(error: unknown): void {
    if (!this.settle()) return;
    if (error instanceof HangarError) this.reject(error);
    else this.fallBack(error);
  }

  expire(timeoutMs: number): void {
    if (!this.settle()) return;
    this.fallBack(new Error(`the store did not answer within ${timeoutMs} ms`));
  }

  /** True for the first of the answer and the deadline, which settles the call. */
  private settle(): boolean {
    if (this.done) return false;
    this.done = true;
    this.guard.settled();
    return true;
  }

  private fallBack(error: unknown): void {
    this.guard.failures.failed(error, this.what);
    this.resolve(this.fallback);
  }
}

export class StoreGuard {
  /**
   * Calls in flight, oldest first. All share one timeout, so they are due in the order they started and one timer
   * for the oldest serves them all: a timer per call cost more than the rest of a read served in process.
   */
  private head?: Pending;
  private tail?: Pending;
  /** Calls in the queue, settled or not. */
  private queued = 0;
  /** Calls not settled yet. */
  private waiting = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    /** Where calls that fail or expire are logged. */
    readonly failures: FailureLog,
    /** A store that has not answered by then is treated as failed for this call. */
    private readonly timeoutMs: number,
  ) {}

  /** `work`'s answer; on a store failure or timeout, `fallback` (and a log line). The app's own mistakes (HangarErrors) still throw. */
  run<T>(what: string, work: () => Promise<T>, fallback: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call = new Call(this, what, fallback, resolve, reject, Date.now() + this.timeoutMs);
      this.enqueue(call);
      attempt(work).then(
        (value) => call.answered(value),
        (error: unknown) => call.failed(error),
      );
    });
  }

  private enqueue(call: Pending): void {
    if (this.tail) this.tail.next = call;
    else {
      this.head = call;
      // While calls wait, the timer keeps the process alive, as a store that never answers may hold nothing open.
      this.timer?.ref();
    }
    this.tail = call;
    this.queued++;
    this.waiting++;
    if (!this.timer) this.arm(this.timeoutMs);
    // Answers served in process settle at once while a slow call holds the front: they must not pile up behind it.
    if (this.queued > 2 * this.waiting + SWEEP_SLACK) this.sweep();
  }

  /** A call settled: forgets the settled calls at the front (answers mostly come back in the order the calls went out). */
  settled(): void {
    this.waiting--;
    while (this.head?.done) {
      this.head = this.head.next;
      this.queued--;
    }
    if (this.head) return;
    this.tail = undefined;
    // Left to fire on its own rather than cleared and set again for the next call; it must not hold the process.
    this.timer?.unref();
  }

  /** Unlinks every settled call. */
  private sweep(): void {
    let last: Pending | undefined;
    for (let call = this.head; call; call = call.next) {
      if (call.done) continue;
      if (last) last.next = call;
      else this.head = call;
      last = call;
    }
    if (last) last.next = undefined;
    else this.head = undefined;
    this.tail = last;
    this.queued = this.waiting;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.expireDue(), ms);
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = Date.now();
    // Expiring settles the call, which takes it (and the settled ones after it) off the front.
    while (this.head && this.head.deadline <= now) this.head.expire(this.timeoutMs);
    if (this.head) this.arm(Math.max(1, this.head.deadline - now));
  }
}
