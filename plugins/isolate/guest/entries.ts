// The one guest function the host runs guest code through: starts a batch of entries, each answering through the outbox.
import { ENTRY_STRIDE, OUTBOX_UNITS, type ChunkOutcome, type DispatchResult, type EntryOp, type RequestHead } from '../protocol.js';
import type { Dispatcher } from './dispatch.js';
import type { GuestFetch } from './fetch.js';
import type { HostCaller } from './host-calls.js';
import { stringUnits, type Outbox } from './outbox.js';
import type { Timers } from './timers.js';

interface EntryParts {
  /** Set for each batch: whether the host runs it on its main thread (HostBridge.log reads it). */
  thread: { onMainThread: boolean };
  outbox: Outbox;
  dispatcher: Dispatcher;
  fetcher: GuestFetch;
  timers: Timers;
  caller: HostCaller;
}

// Taken before app code runs: an app that replaces Promise.prototype.then cannot stop an answer reaching the host.
const then = Promise.prototype.then;
const apply = Reflect.apply;

function failure(error: unknown): ChunkOutcome {
  try {
    if (error instanceof Error) return { ok: false, name: String(error.name), message: String(error.message) };
    return { ok: false, name: 'Error', message: String(error) };
  } catch {
    // A throwing name or message getter, or a throwing toString.
    return { ok: false, name: 'Error', message: 'the stream failed with a value that cannot be described' };
  }
}

const TOO_LARGE = `the answers this isolate had for the host at once held more than ${OUTBOX_UNITS} characters of strings`;
const tooLargeResult = (): DispatchResult => ({ kind: 'exception', name: 'RangeError', message: `${TOO_LARGE} (headers or an error message, say)`, stack: '' });
const tooLargeChunk = (): ChunkOutcome => ({ ok: false, name: 'RangeError', message: TOO_LARGE });

/**
 * The guest's enter(): a batch `[op, a, b, op, a, b…]` from the host (guest-entries.ts), each entry started in turn.
 * One that throws does not stop the others: each answers (or fails) through its own reply.
 */
export function createEnter(parts: EntryParts): (batch: unknown[], onMainThread: boolean) => void {
  const { outbox, dispatcher, fetcher, timers, caller, thread } = parts;
  /** Posts `value`, or `instead` when its strings would pass what one drain may carry (OUTBOX_UNITS). */
  const reply = (token: unknown, value: unknown, instead: () => unknown) => outbox.post('reply', token, outbox.reserve(stringUnits(value)) ? value : instead());
  const replyChunk = (token: unknown, read: Promise<Uint8Array | null>) =>
    // A chunk's bytes are no strings: only a failure's name and message count.
    apply(then, read, [(value: Uint8Array | null) => outbox.post('reply', token, { ok: true, value }), (error: unknown) => reply(token, failure(error), tooLargeChunk)]);

  function start(op: EntryOp, a: unknown, b: unknown): void {
    switch (op) {
      case 'dispatch':
        // dispatch() turns every app failure into a result, so it never rejects.
        apply(then, dispatcher.dispatch(a as RequestHead), [(result: DispatchResult) => reply(b, result, tooLargeResult)]);
        return;
      case 'pull':
        replyChunk(b, dispatcher.pull(a as number));
        return;
      case 'pullUpload':
        replyChunk(b, fetcher.pullUpload(a as number));
        return;
      case 'cancel':
        dispatcher.cancel(a as number);
        return;
      case 'cancelUpload':
        fetcher.cancelUpload(a as number);
        return;
      case 'timer':
        timers.fire(a as number);
        return;
      case 'settle':
        caller.settle(a, b);
        return;
      case 'fail':
        caller.fail(a, b);
        return;
    }
  }

  return (batch, onMainThread) => {
    // The batch's microtasks run in the same call, so they see the same thread.
    thread.onMainThread = onMainThread === true;
    // Indexed, not destructured: an app may have replaced Array.prototype[Symbol.iterator].
    for (let i = 0; i + ENTRY_STRIDE <= batch.length; i += ENTRY_STRIDE) {
      try {
        start(batch[i] as EntryOp, batch[i + 1], batch[i + 2]);
      } catch {
        // Entries report their own failures (a timer's callback throwing is reported by fire()); nothing else to do.
      }
    }
  };
}
