// Messages to the other process, written together: those sent in one turn of the event loop go in one IPC write.
export type Batched<M> = M | { t: 'batch'; messages: M[] };

/**
 * Each IPC write is a system call that wakes the other process, and under load the writes, not the bytes, are the
 * cost (measured: ~100 µs per write on a busy 2-core machine). Batching to the end of the turn adds no wait when
 * idle and turns many writes into one when busy.
 */
export class Outbox<M> {
  private queue: M[] = [];

  /** `write` may throw (a value that cannot be serialized): queued messages report it to `onError`. */
  constructor(
    private readonly write: (message: Batched<M>) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  send(message: M): void {
    if (this.queue.push(message) === 1) setImmediate(() => this.flush());
  }

  /** Sends at once, after what is queued, so that a value that cannot be serialized throws here, to the caller. */
  sendNow(message: M): void {
    this.flush();
    this.write(message);
  }

  flush(): void {
    const queue = this.queue;
    if (!queue.length) return;
    this.queue = [];
    try {
      this.write(queue.length === 1 ? queue[0]! : { t: 'batch', messages: queue });
    } catch (error) {
      this.onError(error);
    }
  }
}
