// How the host runs one isolate's guest code: a turn's entries in one batch, on the main thread or the isolate's.
import ivm from 'isolated-vm';
import { Deadline } from './deadline.js';
import { LOG_LEVELS, type SettleHostCall } from './bridge.js';
import type { Reply, ReplyBook } from './pending-reply.js';
import type { EntryOp, GuestLogLevel } from './protocol.js';
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
  /** Runs a host call the guest started; its outcome goes to `settle`. */
  hostCall(name: unknown, args: unknown[], settle: SettleHostCall): void;
  waitUntil(seq: unknown, pending: number): void;
  /** A console line (or uncaught error) of the app. */
  log(level: GuestLogLevel, message: string): void;
  /**
   * A batch of entries threw; `ops` are the batch's operations, `deadline` the one closest to its end, `cpuBound`:
   * it ran on the main thread with the CPU limit as its timeout.
   */
  entryFailed(ops: readonly EntryOp[], error: unknown, deadline: Deadline, cpuBound: boolean): void;
  /** The outbox could not be read. */
  outboxFailed(error: unknown): void;
}

/** One queued call into the guest: its op and two arguments (EntryOp). */
interface Entry {
  op: EntryOp;
  a: unknown;
  b: unknown;
  /** The request's deadline, for the entries that answer a request; the wall-time limit otherwise. */
  deadline?: Deadline;
  /** A settle's body chunk buffer, moved into the isolate with the batch. */
  move?: ArrayBuffer;
}

const COPY_RESULT = { result: { copy: true } } as const;
const COPY = { copy: true } as const;
const UNCOPYABLE = { name: 'DataCloneError', message: 'the host answered a value that cannot be copied into the isolate' };
/** How long reading the outbox of a stopped isolate may take. */
const SALVAGE_MS = 20;
/** The entries whose second argument is the token of the reply they wait for. */
const REPLYING = new Set<EntryOp>(['dispatch', 'pull', 'pullUpload']);

function cpuMs(nanoseconds: bigint): number {
  return Number(nanoseconds) / 1e6;
}

/**
 * Isolates with entries queued in this turn of the event loop. They run once the turn's I/O callbacks are done
 * (setImmediate), so the requests that one read of the sockets brought in enter their isolate together: under load,
 * one call into the isolate, one timeout timer and one drain serve dozens of requests instead of one each.
 */
let queued = new Set<GuestEntries>();
let scheduled = false;

function schedule(entries: GuestEntries): void {
  queued.add(entries);
  if (scheduled) return;
  scheduled = true;
  setImmediate(runQueued);
}

function runQueued(): void {
  scheduled = false;
  runDue();
}

function runDue(): void {
  const due = queued;
  queued = new Set();
  for (const entries of due) entries.run();
}

/**
 * Host-call outcomes run sooner: at the end of the callback that settled them (process.nextTick, after its
 * microtasks, so the outcomes one Redis reply settles still go in together). The guest's next host call then starts
 * in the same turn, and a client that writes in the check phase (node-redis) sends it without another trip round
 * the event loop: one `epoll_wait` less per cache op awaited in a row.
 * Outcomes that settle without I/O (an in-memory store) would chain guest runs without ever yielding to the loop, so
 * from the first such run until the loop's check phase comes round (a setImmediate), at most SOON_MAX runs, over at
 * most SOON_MS, go this way; the rest wait for the check phase as other entries do.
 */
const SOON_MAX = 64;
const SOON_MS = 2;
let soonRuns = 0;
let soonSince = 0;
let soonScheduled = false;

function scheduleSoon(entries: GuestEntries): void {
  if (soonScheduled) {
    queued.add(entries);
    return;
  }
  if (soonRuns === 0) {
    soonSince = performance.now();
    setImmediate(endSoonRuns);
  } else if (soonRuns >= SOON_MAX || performance.now() - soonSince >= SOON_MS) {
    schedule(entries);
    return;
  }
  soonRuns++;
  soonScheduled = true;
  queued.add(entries);
  process.nextTick(runSoon);
}

function runSoon(): void {
  soonScheduled = false;
  runDue();
}

function endSoonRuns(): void {
  soonRuns = 0;
}

/**
 * Every host→guest call goes through enter(). Entries queue until the turn's I/O is handled, then run as one batch;
 * the guest function returns at once, and what the entries start answers through the guest's outbox, drained after
 * the batch once its microtasks have run (docs/executor-modes.md).
 */
export class GuestEntries implements ReplyBook {
  /** Entries waiting for their reply from the outbox, by token, in the order they were made. */
  private readonly replies = new Map<number, Reply>();
  private nextToken = 1;
  /**
   * One timer for the deadlines of all the replies awaited, due at the earliest. A global set of watched replies
   * kept short-lived objects alive across garbage collections: with it the host's young-generation collections
   * promoted 3.5 MB each and took 12 ms instead of 0.8 ms under 50 concurrent requests, halving throughput.
   */
  private deadlineTimer?: NodeJS.Timeout;
  private deadlineAt = Infinity;
  private queue: Entry[] = [];
  /**
   * Work of ours on the isolate's own thread (async batches, the app's script, a queued drain, heap statistics). A
   * synchronous batch takes the isolate's lock on the main thread, and would block it until that work ends: it is
   * only made when this is 0.
   */
  private busy = 0;
  /** A batch ended since the outbox was last drained. */
  private undrained = false;
  /** A drain is queued on the isolate's thread. */
  private drainQueued = false;
  /** Async batches started so far: how many overlapped one tells how many shared the CPU time it saw. */
  private asyncStarted = 0;
  /**
   * Most entries in one batch: a batch runs under one timeout, the CPU limit of one request, so it holds at most half
   * of that limit's worth of quick entries (same-thread.ts: promoted apps' entries take under a millisecond).
   */
  private readonly batchMax: number;

  constructor(private readonly host: EntryHost) {
    this.batchMax = Math.max(1, Math.min(64, Math.floor(host.cpuMs / 2)));
  }

  /** Nothing of ours runs on the isolate's thread: a synchronous call would not wait. */
  get idle(): boolean {
    return this.busy === 0;
  }

  /** The token an entry that answers carries; its reply settles `reply` (or its deadline, or rejectAll, fails it). */
  expect(reply: Reply): number {
    const token = this.nextToken++;
    this.replies.set(token, reply);
    this.watchDeadline(reply.at);
    return token;
  }

  /** Nobody waits for this reply any more. */
  forget(token: number): void {
    this.replies.delete(token);
    // An armed timer holds the process open only while a reply is awaited.
    if (this.replies.size === 0) this.deadlineTimer?.unref();
  }

  /** The isolate is gone: every reply still awaited fails with `error`, and queued entries are dropped. */
  rejectAll(error: unknown): void {
    this.queue = [];
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const waiting = [...this.replies.values()];
    this.replies.clear();
    for (const reply of waiting) reply.reject(error);
  }

  private watchDeadline(at: number): void {
    if (this.deadlineTimer && this.deadlineAt <= at) {
      this.deadlineTimer.ref();
      return;
    }
    clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(() => this.expireDue(), Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Fails the replies whose deadline passed, and sets the timer for the next. */
  private expireDue(): void {
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [token, reply] of [...this.replies]) {
      if (reply.at > now) next = Math.min(next, reply.at);
      else {
        this.replies.delete(token);
        reply.expire();
      }
    }
    if (next < Infinity) this.watchDeadline(next);
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

  /** The one way host code runs guest code: queued, and run with the rest of this turn's entries. */
  enter(op: EntryOp, a: unknown, b?: unknown, deadline?: Deadline): void {
    if (!this.host.alive()) return;
    this.queue.push({ op, a, b, deadline });
    if (this.queue.length === 1) schedule(this);
  }

  /** Runs the queued entries, in batches of at most `batchMax`. */
  run(): void {
    while (this.queue.length > 0 && this.host.alive()) {
      const batch = this.queue.length <= this.batchMax ? this.queue : this.queue.slice(0, this.batchMax);
      this.queue = batch === this.queue ? [] : this.queue.slice(this.batchMax);
      this.runBatch(batch);
    }
  }

  /**
   * On the main thread (applySync: no thread hop) when the isolate is promoted and nothing of ours runs on its
   * thread; else on the isolate's thread, as isolated-vm's async apply does. Either way the outbox is drained after,
   * once the batch's microtasks have run.
   */
  private runBatch(batch: Entry[]): void {
    const { host } = this;
    const deadline = earliest(batch, host);
    if (batch.some((entry) => entry.op !== 'dispatch')) host.resuming();
    const [payload, copy] = this.payload(batch);
    if (this.busy === 0 && host.sameThread.eligible) {
      // The host's event loop waits for this: bounded by the CPU limit as well as the time left.
      const remaining = deadline.remaining();
      const cpuBound = host.cpuMs < remaining;
      const timeout = cpuBound ? host.cpuMs : remaining;
      const started = performance.now();
      try {
        host.refs.enter.applySync(undefined, [payload, true], copy ? { arguments: COPY, timeout } : { timeout });
      } catch (error) {
        if (notCopied(error)) return this.retryCopyable(batch);
        if (timedOut(error)) this.salvageLogs();
        host.entryFailed(opsOf(batch), error, deadline, cpuBound);
        // Stopped at its limit, the batch held the host's event loop for all of it.
        if (!host.alive()) host.sameThread.banish();
      }
      // On the main thread, the wall time is what the host waited, whether the guest computed or blocked.
      const wallMs = performance.now() - started;
      ranOnMainThread(wallMs);
      this.afterBatch(wallMs / batch.length);
      return;
    }
    // The batches already queued on the isolate's thread, and those queued while this one waits, share the CPU
    // time it sees: it is charged its share, as the CPU meter does.
    const cpuBefore = host.isolate.cpuTime;
    const sharing = this.busy - this.asyncStarted;
    this.busy++;
    this.asyncStarted++;
    const done = () => {
      this.busy--;
      // A disposed isolate has no CPU time to read, and nothing left to drain.
      if (host.alive()) this.afterBatch(cpuMs(host.isolate.cpuTime - cpuBefore) / (sharing + this.asyncStarted) / batch.length);
    };
    const failed = (error: unknown) => {
      if (notCopied(error)) {
        this.busy--;
        this.retryCopyable(batch);
        return;
      }
      // Only this batch was on the isolate's thread: it is idle now, and a synchronous call will not wait.
      if (timedOut(error) && this.busy === 1) this.salvageLogs();
      host.entryFailed(opsOf(batch), error, deadline, false);
      done();
    };
    try {
      const timeout = deadline.remaining();
      host.refs.enter.apply(undefined, [payload, false], copy ? { arguments: COPY, timeout } : { timeout }).then(done, failed);
    } catch (error) {
      // isolated-vm refused the call before it started.
      failed(error);
    }
  }

  /**
   * A batch isolated-vm could not copy (a binding answered a function, a promise, a host object): each entry is
   * checked alone, and the batch goes again without what cannot cross. A settle carries a failure instead of its
   * outcome; an entry that waits for a reply fails it. Checked only now: the copy the call makes is the check.
   */
  private retryCopyable(batch: Entry[]): void {
    const kept: Entry[] = [];
    for (const entry of batch) {
      if (copies([entry.a, entry.b])) kept.push(entry);
      else if (entry.op === 'settle') kept.push({ op: 'fail', a: entry.a, b: UNCOPYABLE });
      else if (REPLYING.has(entry.op)) {
        const token = entry.b as number;
        const reply = this.replies.get(token);
        this.forget(token);
        reply?.reject(new TypeError(`the host could not copy ${entry.op} into the isolate`));
      }
    }
    this.queue.unshift(...kept);
    if (this.queue.length > 0) schedule(this);
  }

  /**
   * The batch as the guest's enter() takes it, `[op, a, b, op, a, b…]`, copied into the isolate by the call; body
   * chunks that own their whole buffer move instead (host calls answer only values that can be copied, bridge.ts).
   */
  private payload(batch: Entry[]): [batch: unknown, copy: boolean] {
    const flat: unknown[] = [];
    let moves: ArrayBuffer[] | undefined;
    for (const entry of batch) {
      flat.push(entry.op, entry.a, entry.b);
      if (entry.move) (moves ??= []).push(entry.move);
    }
    // An ExternalCopy is a weak handle V8 processes in every scavenge of the host's heap (one per batch made them
    // several times slower), where the copy the call makes leaves none: only a batch that moves bytes makes one.
    if (!moves) return [flat, true];
    return [new ivm.ExternalCopy(flat, { transferList: moves }).copyInto({ release: true, transferIn: true }), false];
  }

  /** Records what each entry of the batch cost (SameThread.ran) and drains the outbox. */
  private afterBatch(costMs: number): void {
    if (!this.host.alive()) return;
    this.undrained = true;
    this.host.sameThread.ran(costMs);
    this.flush();
  }

  /**
   * Drains the outbox after batches ended: on the main thread when the isolate's is idle, else queued behind the
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
    let messages: unknown;
    try {
      messages = this.host.refs.drain.applySync(undefined, [], COPY_RESULT);
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
    const done = (messages: unknown) => {
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
      (this.host.refs.drain.apply(undefined, [], COPY_RESULT) as Promise<unknown>).then(done, failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * A run stopped at its limit leaves the isolate to be replaced, and its outbox unread: the app's console lines from
   * before the stop are what tells its developer what ran away, so they are read out (if the isolate still answers).
   */
  private salvageLogs(): void {
    let messages: unknown;
    try {
      messages = this.host.refs.drain.applySync(undefined, [], { ...COPY_RESULT, timeout: SALVAGE_MS });
    } catch {
      return;
    }
    if (messages) this.deliver(messages, true);
  }

  /**
   * Acts on the outbox's messages, in order (protocol.ts, OutboxKind). `logsOnly`: the console lines alone, of an
   * isolate that is going anyway. A stream that cannot be read to its end fails the isolate, as an outbox that
   * cannot be copied does: the answers in it can no longer be told apart.
   */
  private deliver(stream: unknown, logsOnly = false): void {
    // An isolate that went meanwhile starts no host calls (one check here, not one per call).
    if (!logsOnly && !this.host.alive()) return;
    const stopped = Array.isArray(stream) ? this.read(stream, logsOnly) : 0;
    if (stopped >= 0 && !logsOnly) this.host.outboxFailed(new TypeError(`the outbox is malformed at slot ${stopped}`));
  }

  /** Acts on each message of the stream; answers -1 once all were read, else the slot where reading stopped. */
  private read(stream: unknown[], logsOnly: boolean): number {
    // Every field is checked: the guest's realm is the app's.
    for (let i = 0; i < stream.length; ) {
      const kind: unknown = stream[i];
      if (kind === 'call') {
        const count: unknown = stream[i + 3];
        if (!Number.isSafeInteger(count) || (count as number) < 0 || i + 4 + (count as number) > stream.length) return i;
        // The id goes back into the isolate as an argument: a number, nothing else.
        if (!logsOnly && Number.isSafeInteger(stream[i + 1])) this.startHostCall(stream[i + 1] as number, stream[i + 2], stream.slice(i + 4, i + 4 + (count as number)));
        i += 4 + (count as number);
        continue;
      }
      if (i + 3 > stream.length) return i;
      const a: unknown = stream[i + 1];
      const b: unknown = stream[i + 2];
      if (kind === 'log') {
        if (LOG_LEVELS.has(a as GuestLogLevel) && typeof b === 'string') this.host.log(a as GuestLogLevel, b);
      } else if (kind === 'reply') {
        if (!logsOnly) this.answer(a as number, b);
      } else if (kind === 'waitUntil') {
        if (!logsOnly && Number.isSafeInteger(b) && (b as number) >= 0) this.host.waitUntil(a, b as number);
      } else return i;
      i += 3;
    }
    return -1;
  }

  /** The guest's answer to the entry that carried `token`. */
  private answer(token: number, value: unknown): void {
    const reply = this.replies.get(token);
    this.forget(token);
    reply?.resolve(value);
  }

  /**
   * Runs a host call the guest started; its outcome goes back with the next batch, as a settle or fail entry (queued
   * even if the isolate went meanwhile: run() checks, once per batch instead of once per call).
   */
  private startHostCall(callId: number, name: unknown, args: unknown[]): void {
    this.host.hostCall(name, args, (outcome, move) => {
      this.queue.push(outcome.ok ? { op: 'settle', a: callId, b: outcome.value, move } : { op: 'fail', a: callId, b: { name: outcome.name, message: outcome.message } });
      if (this.queue.length === 1) scheduleSoon(this);
    });
  }
}

/** The batch's operations, for reporting its failure. */
function opsOf(batch: Entry[]): EntryOp[] {
  return batch.map((entry) => entry.op);
}

/** The deadline of a batch: the entry's closest to its end, else the wall-time limit from now. */
function earliest(batch: Entry[], host: EntryHost): Deadline {
  let found: Deadline | undefined;
  for (const { deadline } of batch) {
    if (deadline && (!found || deadline.at < found.at)) found = deadline;
  }
  return found ?? new Deadline(host.wallMs, host.app);
}

/** isolated-vm's timeout: the run was terminated. */
function timedOut(error: unknown): boolean {
  return error instanceof Error && error.message === 'Script execution timed out.';
}

/** isolated-vm's refusal to copy an argument, thrown before any guest code ran. */
function notCopied(error: unknown): boolean {
  return error instanceof TypeError && error.message.endsWith(' could not be cloned.');
}

/** Whether isolated-vm can copy a value into an isolate. */
function copies(value: unknown): boolean {
  try {
    new ivm.ExternalCopy(value).release();
    return true;
  } catch {
    return false;
  }
}
