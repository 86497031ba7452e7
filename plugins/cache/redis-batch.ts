// Coalesces the plain reads, or the plain writes, that one turn sends to Redis into one command, in order with every other command.
import { attempt } from './attempt.js';
import type { ReadBudget } from './read-budget.js';

/** Answered for a key whose read had no room left in its app's read budget: its value was not fetched. */
export const OVER_BUDGET = -1;

/** A raw value as a batched read answers it. */
export type RawRead = string | null | typeof OVER_BUDGET;

/** How a batch reaches Redis: the backend's own commands for one key or many. */
export interface BatchSender {
  /**
   * The raw values of `keys`, null where absent. `budgets[i]` is the read budget key i counts against (none: no
   * limit); a key it has no room left for answers OVER_BUDGET.
   */
  read(keys: string[], budgets: Array<ReadBudget | undefined>): Promise<RawRead[]>;
  /** Stores `values[i]` at `keys[i]`, to be kept until changed; resolves once the writes landed. */
  write(keys: string[], values: string[]): Promise<unknown>;
}

/** One caller's share of a batch: its keys start at `from` in the batch's key list. */
interface Waiter {
  from: number;
  count: number;
  /** The caller's values, for a read; true, for a write (a plain write always stores). */
  resolve(answer: RawRead[] | true): void;
  reject(error: unknown): void;
}

/** A batch holds at most this many keys; a turn that makes more sends several. */
const BATCH_KEYS = 1024;

/**
 * Thirty-two `set` calls an app makes with `Promise.all` cost Redis and node-redis thirty-two commands, each encoded,
 * queued, answered and decoded on its own: as one command they cost half as much CPU per key (on this VM's Redis, 32
 * SETs took 5 µs of the Node process's CPU per key, one MSET of them 2.3 µs). So the reads, or the writes, that a turn
 * makes wait for the end of that turn (a microtask, long before node-redis writes to the socket in the check phase)
 * and go out together.
 *
 * Order is kept: only one kind waits at a time, and any other command flushes what waits before it goes, so a read
 * sees the writes made before it and none made after, exactly as with one command each.
 */
export class RedisBatch {
  private kind: 'read' | 'write' | undefined;
  private keys: string[] = [];
  private values: string[] = [];
  /** For a read: the budget each key counts against. */
  private budgets: Array<ReadBudget | undefined> = [];
  private waiters: Waiter[] = [];
  private flushQueued = false;

  constructor(private readonly send: BatchSender) {}

  /** The raw values of `keys`, read with the turn's other reads; counted against `budget` (see BatchSender.read). */
  read(keys: string[], budget?: ReadBudget): Promise<RawRead[]> {
    return this.add('read', keys, undefined, budget) as Promise<RawRead[]>;
  }

  /** Stores one value that does not expire, with the turn's other writes; true once it landed. */
  write(key: string, value: string): Promise<boolean> {
    return this.add('write', [key], value) as Promise<boolean>;
  }

  /** Sends what waits now: called before any command that is not batched, to keep the order of commands. */
  flush(): void {
    const { kind, keys, values, budgets, waiters } = this;
    if (!kind) return;
    this.kind = undefined;
    this.keys = [];
    this.values = [];
    this.budgets = [];
    this.waiters = [];
    attempt<unknown>(() => (kind === 'read' ? this.send.read(keys, budgets) : this.send.write(keys, values))).then(
      (found) => {
        for (const waiter of waiters) waiter.resolve(kind === 'read' ? (found as RawRead[]).slice(waiter.from, waiter.from + waiter.count) : true);
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }

  private add(kind: 'read' | 'write', keys: string[], value?: string, budget?: ReadBudget): Promise<RawRead[] | true> {
    if (this.kind !== kind || this.keys.length + keys.length > BATCH_KEYS) this.flush();
    this.kind = kind;
    const from = this.keys.length;
    for (const key of keys) this.keys.push(key);
    if (kind === 'write') this.values.push(value!);
    else for (let i = 0; i < keys.length; i++) this.budgets.push(budget);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
    return new Promise((resolve, reject) => this.waiters.push({ from, count: keys.length, resolve, reject }));
  }
}
