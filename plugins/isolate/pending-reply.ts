// A reply the host waits for from the guest: settled from the outbox, or failed by its deadline, its request's CPU
// limit, or the end of the isolate.
import type { HangarError } from '../../core/errors.js';
import type { CpuAccount, Failable } from './cpu-meter.js';
import type { Deadline } from './deadline.js';

/** How a reply is settled from the outbox, or failed (GuestEntries keeps them by token, and watches their deadlines). */
export interface Reply {
  /** performance.now() past which nobody waits for it: `expire()` is then called, once. */
  readonly at: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  expire(): void;
}

/** Where replies are kept by token until the outbox answers them or their deadline passes (GuestEntries). */
export interface ReplyBook {
  expect(reply: Reply): number;
  /** Nobody waits for this reply any more. */
  forget(token: number): void;
}

/**
 * One promise and one object per reply, whichever of its four ends comes first: its book's deadline timer and the
 * CPU meter call into it directly, where wrapping the reply in a race and a bound cost two more promises each.
 */
export class PendingReply<T> implements Reply, Failable {
  readonly promise: Promise<T>;
  readonly token: number;
  readonly at: number;
  private settlePromise!: (value: T) => void;
  private rejectPromise!: (error: unknown) => void;
  private done = false;

  constructor(
    private readonly book: ReplyBook,
    private readonly deadline: Deadline,
    private readonly account: CpuAccount | undefined,
    /** Called when the deadline passes first, before the reply fails with LIMIT_WALL_TIME. */
    private readonly onExpire: () => void,
  ) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.settlePromise = resolve;
      this.rejectPromise = reject;
    });
    this.at = deadline.at;
    this.token = book.expect(this);
    account?.watch(this);
  }

  resolve(value: unknown): void {
    if (this.end()) this.settlePromise(value as T);
  }

  reject(error: unknown): void {
    if (this.end()) this.rejectPromise(error);
  }

  /** The request passed its CPU-time limit. */
  fail(error: HangarError): void {
    if (this.done) return;
    this.book.forget(this.token);
    this.reject(error);
  }

  /** The deadline passed (the book has already forgotten it). */
  expire(): void {
    if (this.done) return;
    this.book.forget(this.token);
    this.onExpire();
    this.reject(this.deadline.expired());
  }

  private end(): boolean {
    if (this.done) return false;
    this.done = true;
    this.account?.unwatch(this);
    return true;
  }
}
