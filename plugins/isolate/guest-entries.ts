// How the host runs one isolate's guest code: each entry on the main thread or the isolate's, and the outbox after it.
import ivm from 'isolated-vm';
import { Deadline } from './deadline.js';
import type { EntryOp, GuestMessage, HostOutcome } from './protocol.js';
import { ranOnMainThread, type SameThread } from './same-thread.js';

/** The guest functions the host calls, as References into the isolate (GuestApi). */
export interface GuestRefs {
  enter: ivm.Reference;
  drain: ivm.Reference;
}

/** What the entries need of their isolate (AppIsolate). */
export interface EntryHost {
  app: string;
  isolate: ivm.Isolate;
  refs: GuestRefs;
  sameThread: SameThread;
  cpuMs: number;
  wallMs: number;
  alive(): boolean;
  /** Guest code is about to run outside a request's dispatch: the CPU meter watches it. */
  resuming(): void;
  /** Runs a host call the guest started; the outcome is ready to hand to the guest. */
  hostCall(name: unknown, args: unknown): Promise<ivm.Copy<HostOutcome<unknown>>>;
  waitUntil(seq: unknown, pending: number): void;
  /** An entry threw; `cpuBound`: it ran on the main thread with the CPU limit as its timeout. */
  entryFailed(op: EntryOp, error: unknown, deadline: Deadline, cpuBound: boolean): void;
  /** The outbox could not be read. */
  outboxFailed(error: unknown): void;
}

interface Reply {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

const COPY_ARGUMENTS = { arguments: { copy: true } } as const;
const COPY_RESULT = { result: { copy: true } } as const;

function cpuMs(nanoseconds: bigint): number {
  return Number(nanoseconds) / 1e6;
}

/**
 * Every host→guest call goes through enter(). The guest function returns at once; what the entry starts answers
 * through the guest's outbox, drained after the entry once its microtasks have run (docs/executor-modes.md).
 */
export class GuestEntries {
  /** Entries waiting for their reply from the outbox, by token. */
  private readonly replies = new Map<number, Reply>();
  private nextToken = 1;
  /** Host call ids and their outcomes, waiting to be settled together. */
  private settled: unknown[] = [];
  /**
   * Work of ours on the isolate's own thread (async entries, the app's script, a queued drain, heap statistics). A
   * synchronous entry takes the isolate's lock on the main thread, and would block it until that work ends: it is
   * only made when this is 0.
   */
  private busy = 0;
  /** An entry ended since the outbox was last drained. */
  private undrained = false;
  /** A drain is queued on the isolate's thread. */
  private drainQueued = false;
  /** Async entries started so far: how many overlapped one tells how many shared the CPU time it saw. */
  private asyncStarted = 0;

  constructor(private readonly host: EntryHost) {}

  /** Nothing of ours runs on the isolate's thread: a synchronous call would not wait. */
  get idle(): boolean {
    return this.busy === 0;
  }

  /** A token for an entry that answers, and the reply it will get (rejected by rejectAll). */
  expect<T>(): { token: number; reply: Promise<T> } {
    const token = this.nextToken++;
    const reply = new Promise<T>((resolve, reject) => this.replies.set(token, { resolve: resolve as (value: unknown) => void, reject }));
    return { token, reply };
  }

  /** Nobody waits for this reply any more (its deadline passed). */
  forget(token: number): void {
    this.replies.delete(token);
  }

  /** The isolate is gone: every reply still awaited fails with `error`. */
  rejectAll(error: unknown): void {
    for (const reply of this.replies.values()) reply.reject(error);
    this.replies.clear();
  }

  /** Counts work of ours on the isolate's thread while it runs (see `busy`), and drains the outbox after it. */
  onIsolateThread<T>(work: Promise<T>): Promise<T> {
    this.busy++;
    this.undrained = true;
    const done = () => {
      this.busy--;
      this.flush();
    };
    work.then(done, done);
    return work;
  }

  /**
   * The one way host code runs guest code. On the main thread (applySync: no thread hop) when the isolate is
   * promoted and nothing of ours runs on its thread; else on the isolate's thread, as isolated-vm's async apply
   * does. Either way the outbox is drained after, once the entry's microtasks have run.
   */
  enter(op: EntryOp, args: unknown[], deadline = new Deadline(this.host.wallMs, this.host.app)): void {
    const { host } = this;
    if (!host.alive()) return;
    const options = op === 'settle' ? {} : COPY_ARGUMENTS;
    if (op !== 'dispatch') host.resuming();
    if (this.busy === 0 && host.sameThread.eligible) {
      // The host's event loop waits for this: bounded by the CPU limit as well as the time left.
      const cpuBound = host.cpuMs < deadline.remaining();
      const started = performance.now();
      try {
        host.refs.enter.applySync(undefined, [op, ...args], { ...options, timeout: cpuBound ? host.cpuMs : deadline.remaining() });
      } catch (error) {
        host.entryFailed(op, error, deadline, cpuBound);
        // Stopped at its limit, the entry held the host's event loop for all of it.
        if (!host.alive()) host.sameThread.banish();
      }
      // On the main thread, the wall time is what the host waited, whether the guest computed or blocked.
      const wallMs = performance.now() - started;
      ranOnMainThread(wallMs);
      this.afterEntry(wallMs);
      return;
    }
    // The entries already queued on the isolate's thread, and those queued while this one waits, share the CPU
    // time it sees: it is charged its share, as the CPU meter does.
    const cpuBefore = host.isolate.cpuTime;
    const sharing = this.busy - this.asyncStarted;
    this.busy++;
    this.asyncStarted++;
    const done = () => {
      this.busy--;
      // A disposed isolate has no CPU time to read, and nothing left to drain.
      if (host.alive()) this.afterEntry(cpuMs(host.isolate.cpuTime - cpuBefore) / (sharing + this.asyncStarted));
    };
    const failed = (error: unknown) => {
      host.entryFailed(op, error, deadline, false);
      done();
    };
    try {
      host.refs.enter.apply(undefined, [op, ...args], { ...options, timeout: deadline.remaining() }).then(done, failed);
    } catch (error) {
      // isolated-vm refused the call before it started (an argument it could not take).
      failed(error);
    }
  }

  /** Records what the entry cost (SameThread.ran) and drains the outbox. */
  private afterEntry(costMs: number): void {
    if (!this.host.alive()) return;
    this.undrained = true;
    this.host.sameThread.ran(costMs);
    this.flush();
  }

  /**
   * Drains the outbox after entries ended: on the main thread when the isolate's is idle, else queued behind the
   * work on it (so answers do not wait for a lull under load).
   */
  private flush(): void {
    if (!this.undrained || !this.host.alive()) return;
    if (this.busy === 0) this.drain();
    else this.drainLater();
  }

  /** Takes the guest's outbox on the main thread (the isolate's is idle) and acts on it. */
  private drain(): void {
    this.undrained = false;
    let messages: GuestMessage[] | null;
    try {
      messages = this.host.refs.drain.applySync(undefined, [], COPY_RESULT) as GuestMessage[] | null;
    } catch (error) {
      this.host.outboxFailed(error);
      return;
    }
    if (messages) this.deliver(messages);
  }

  private drainLater(): void {
    if (this.drainQueued) return;
    this.drainQueued = true;
    this.undrained = false;
    this.busy++;
    const done = (messages: GuestMessage[] | null) => {
      this.busy--;
      this.drainQueued = false;
      if (messages) this.deliver(messages);
      this.flush();
    };
    const failed = (error: unknown) => {
      this.host.outboxFailed(error);
      done(null);
    };
    try {
      (this.host.refs.drain.apply(undefined, [], COPY_RESULT) as Promise<GuestMessage[] | null>).then(done, failed);
    } catch (error) {
      failed(error);
    }
  }

  /** Acts on the outbox's messages, in order (each checked: the guest's realm is the app's). */
  private deliver(messages: GuestMessage[]): void {
    if (!Array.isArray(messages)) return;
    for (const message of messages) {
      if (!Array.isArray(message)) continue;
      if (message[0] === 'reply') {
        const reply = this.replies.get(message[1]);
        this.replies.delete(message[1]);
        reply?.resolve(message[2]);
      } else if (message[0] === 'call') {
        // The id goes back into the isolate as an argument: a number, nothing else.
        if (Number.isSafeInteger(message[1])) this.startHostCall(message[1], message[2], message[3]);
      } else if (message[0] === 'waitUntil') {
        const [, seq, pending] = message;
        if (Number.isSafeInteger(pending) && pending >= 0) this.host.waitUntil(seq, pending);
      }
    }
  }

  /** Runs a host call the guest started; its outcome is delivered through the settle entry. */
  private startHostCall(callId: number, name: unknown, args: unknown): void {
    if (!this.host.alive()) return;
    this.host.hostCall(name, args).then((outcome) => {
      // Outcomes that settle in the same turn (32 cache reads answered by one Redis reply) go in one entry: a tick
      // runs once the microtasks that settled them have all run.
      if (this.settled.length === 0) process.nextTick(() => this.settleCalls());
      this.settled.push(callId, outcome);
    });
  }

  private settleCalls(): void {
    const pairs = this.settled;
    this.settled = [];
    this.enter('settle', pairs);
  }
}
