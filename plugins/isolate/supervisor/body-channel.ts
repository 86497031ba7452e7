// A body streamed across the process boundary in chunks, paced by credit the receiver grants as it reads.
import { ErrorCode, HangarError } from '../../../core/errors.js';
import type { BodyMessage, WireError } from './protocol.js';
import { fromWire, toWire } from './wire-error.js';

/** Chunks a sender may have in flight before the receiver's reader takes them: the most either side buffers. */
const WINDOW = 8;
/** Credit goes back in batches of this many chunks, to send fewer messages than chunks. */
const CREDIT_BATCH = WINDOW / 2;

type Send = (message: BodyMessage) => void;

/** What a body had ready when the message opening it was sent: a small body travels whole in that message. */
export interface ReadyPart {
  chunks: Uint8Array[];
  done: boolean;
}

const NOT_YET: unique symbol = Symbol('not yet');
const nextTurn = () => new Promise<typeof NOT_YET>((resolve) => setImmediate(resolve, NOT_YET));

/** Reads a local body and sends it while it has credit; stops when the receiver cancels. */
export class BodySender {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** A read started by ready() that had not settled by the next turn; pump() takes it over. */
  private pending?: Promise<ReadableStreamReadResult<Uint8Array>>;
  private credit = WINDOW;
  private finished = false;
  private stopped = false;
  private wake?: () => void;

  constructor(
    private readonly id: number,
    body: ReadableStream<Uint8Array>,
    private readonly send: Send,
  ) {
    this.reader = body.getReader();
  }

  /**
   * The chunks the body yields before the next turn of the event loop (a body made from bytes yields them all at
   * once), up to the window. They go in the message that opens the body, which saves a message or two for most
   * bodies; a body that is slow to start does not hold that message back.
   */
  async ready(): Promise<ReadyPart> {
    const chunks: Uint8Array[] = [];
    while (this.credit > 0) {
      const read = this.reader.read();
      this.pending = read;
      const result = await Promise.race([read, nextTurn()]).catch((): typeof NOT_YET => NOT_YET);
      // Unsettled (or failed: pump() rethrows it and sends the abort).
      if (result === NOT_YET) break;
      this.pending = undefined;
      if (result.done) {
        this.finished = true;
        return { chunks, done: true };
      }
      this.credit--;
      chunks.push(result.value);
    }
    return { chunks, done: false };
  }

  /** Sends the rest of the body (or until cancelled); a failed read is sent as an abort, never thrown. */
  async pump(): Promise<void> {
    if (this.finished) return;
    const { reader } = this;
    try {
      for (;;) {
        while (this.credit === 0 && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.stopped) break;
        const read = this.pending ?? reader.read();
        this.pending = undefined;
        const { done, value } = await read;
        if (this.stopped) break;
        if (done) {
          this.finished = true;
          this.send({ t: 'end', id: this.id });
          return;
        }
        this.credit--;
        this.send({ t: 'chunk', id: this.id, chunk: value });
      }
      await reader.cancel().catch(() => undefined);
    } catch (error) {
      if (!this.stopped) this.send({ t: 'abort', id: this.id, error: toWire(error) });
      reader.cancel().catch(() => undefined);
    }
  }

  grant(chunks: number): void {
    this.credit += chunks;
    this.wake?.();
  }

  /** The receiver will read no more (or is gone). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
    if (!this.finished) this.reader.cancel().catch(() => undefined);
  }
}

/** The local end of a remote body: a pull stream fed by chunk messages, granting credit as its reader takes them. */
export class BodyReceiver {
  readonly stream: ReadableStream<Uint8Array>;
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  private failure?: HangarError;
  private taken = 0;
  private settled = false;
  private wake?: () => void;

  /** `onDone` runs once: at the end, on failure, or on cancel. `part` is what came in the opening message. */
  constructor(
    private readonly id: number,
    private readonly send: Send,
    private readonly onDone: () => void,
    part: ReadyPart,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (!this.queue.length && !this.ended && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
          const chunk = this.queue.shift();
          if (chunk) {
            controller.enqueue(chunk);
            if (++this.taken === CREDIT_BATCH) {
              this.taken = 0;
              this.send({ t: 'credit', id: this.id, chunks: CREDIT_BATCH });
            }
          } else if (this.failure) {
            controller.error(this.failure);
          } else {
            controller.close();
            this.settle();
          }
        },
        cancel: () => {
          this.send({ t: 'cancel', id: this.id });
          this.ended = true;
          this.settle();
        },
      },
      { highWaterMark: 0 },
    );
    for (const chunk of part.chunks) this.push(chunk);
    if (part.done) this.end();
  }

  push(chunk: Uint8Array): void {
    // IPC hands over views into its own read buffer: a reader that keeps (or moves into an isolate) the chunk's
    // buffer must get one of its own, or it holds (or detaches) the buffer the channel parses next.
    // (A copy: `slice` on a Buffer would be another view.)
    this.queue.push(chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : new Uint8Array(chunk));
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  fail(error: WireError | HangarError): void {
    if (this.ended || this.failure) return;
    this.failure = error instanceof HangarError ? error : fromWire(error);
    this.queue.length = 0;
    this.settle();
    this.wake?.();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.onDone();
  }
}

/** The error a body gets when the process at its other end dies. */
export function crashedBody(app: string): HangarError {
  return new HangarError(ErrorCode.EXECUTOR_CRASHED, `the process running app ${app} died while its body was streaming`, { details: { app } });
}

/** Hands a body message to the local end it is for: chunks, end and abort to the receiver; credit and cancel to the sender. */
export function deliver(message: BodyMessage, receiver: BodyReceiver | undefined, sender: BodySender | undefined): void {
  switch (message.t) {
    case 'chunk':
      return receiver?.push(message.chunk);
    case 'end':
      return receiver?.end();
    case 'abort':
      return receiver?.fail(message.error);
    case 'credit':
      return sender?.grant(message.chunks);
    case 'cancel':
      return sender?.stop();
  }
}
