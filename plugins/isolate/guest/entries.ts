// The one guest function the host runs guest code through: starts an entry's work and answers through the outbox.
import type { ChunkOutcome, DispatchResult, EntryOp, RequestHead } from '../protocol.js';
import type { Dispatcher } from './dispatch.js';
import type { GuestFetch } from './fetch.js';
import type { HostCaller } from './host-calls.js';
import type { Outbox } from './outbox.js';
import type { Timers } from './timers.js';

interface EntryParts {
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

export function createEnter(parts: EntryParts): (op: EntryOp, ...args: unknown[]) => void {
  const { outbox, dispatcher, fetcher, timers, caller } = parts;
  const reply = (token: unknown, value: unknown) => outbox.post(['reply', token as number, value]);
  const replyChunk = (token: unknown, read: Promise<Uint8Array | null>) =>
    apply(then, read, [(value: Uint8Array | null) => reply(token, { ok: true, value }), (error: unknown) => reply(token, failure(error))]);

  return (op, ...args) => {
    // Indexed, not destructured: an app may have replaced Array.prototype[Symbol.iterator].
    const a = args[0];
    const b = args[1];
    switch (op) {
      case 'dispatch':
        // dispatch() turns every app failure into a result, so it never rejects.
        apply(then, dispatcher.dispatch(a as RequestHead), [(result: DispatchResult) => reply(b, result)]);
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
        for (let i = 0; i + 1 < args.length; i += 2) caller.settle(args[i], args[i + 1]);
        return;
    }
  };
}
