// Splits an isolate's CPU time (isolate.cpuTime) evenly among the requests it serves, and says when one passes its limit.
import { ErrorCode, HangarError } from '../../core/errors.js';

/** Something that fails when the request it belongs to passes its CPU-time limit (a reply the request waits for). */
export interface Failable {
  fail(error: HangarError): void;
}

export interface CpuAccount {
  /** CPU time charged to the request so far, ms. */
  readonly usedMs: number;
  /** Fails `waiter` as soon as the request passes its limit (at once, if it already did), until unwatched. */
  watch(waiter: Failable): void;
  unwatch(waiter: Failable): void;
  close(): void;
}

export interface CpuMeterEvents {
  /** A request passed its limit; `burning`: the isolate was on the CPU for most of the last interval. */
  over(error: HangarError, burning: boolean): void;
  /** CPU used while no request was in flight (timers, late continuations) passed one request's limit. */
  idleOver(error: HangarError): void;
}

/** A share of the interval on the CPU above which the isolate counts as burning. */
const BURNING_SHARE = 0.5;
/** Below this much CPU in an interval, an isolate with no request in flight is idle again and no longer watched. */
const QUIET_MS = 1;
/**
 * isolated-vm reads CPU time per thread once a run ends, but wall time for the run in progress; on a crowded host a
 * long run reads high until it ends. So a request over its limit is checked once more, this much later (at most a
 * quarter of the limit), before it is failed: a real overrun is still over then.
 */
const CONFIRM_MS = 50;

function ms(nanoseconds: bigint): number {
  return Number(nanoseconds) / 1e6;
}

class Account implements CpuAccount {
  usedMs = 0;
  /** Found over its limit once; failed if still over at the next check. */
  suspect = false;
  private failure?: HangarError;
  /** What waits on the request: one reply at a time, mostly (a body pulled while it answers makes two). */
  private waiter?: Failable;
  private others?: Failable[];

  constructor(
    private readonly meter: CpuMeter,
    /** The account's key in its meter. */
    readonly id: number,
  ) {}

  watch(waiter: Failable): void {
    if (this.failure) return waiter.fail(this.failure);
    if (!this.waiter) this.waiter = waiter;
    else (this.others ??= []).push(waiter);
  }

  unwatch(waiter: Failable): void {
    if (this.waiter === waiter) this.waiter = this.others?.pop();
    else if (this.others) {
      const at = this.others.indexOf(waiter);
      if (at >= 0) this.others.splice(at, 1);
    }
  }

  fail(error: HangarError): void {
    this.failure = error;
    const waiting = [this.waiter, ...(this.others ?? [])];
    this.waiter = this.others = undefined;
    for (const waiter of waiting) waiter?.fail(error);
  }

  close(): void {
    this.meter.closeAccount(this);
  }
}

/**
 * isolated-vm counts CPU per isolate, not per request. With several requests in flight, the CPU used between two
 * readings is split evenly among them: together they are charged exactly what the isolate used, and none is charged
 * for all of it. CPU used while none is in flight is charged to the isolate, up to one request's limit.
 */
export class CpuMeter {
  /** The requests being charged, by id (numbers: objects as keys of a long-lived collection made garbage collection costlier, see guest-entries.ts). */
  private readonly accounts = new Map<number, Account>();
  private nextAccount = 1;
  private lastCpu: bigint;
  private lastAt = performance.now();
  private idleMs = 0;
  private watchingIdle = false;
  private timer?: NodeJS.Timeout;
  /** performance.now() at which the timer fires. */
  private timerAt = Infinity;
  private stopped = false;

  constructor(
    private readonly cpuTime: () => bigint,
    private readonly limitMs: number,
    private readonly app: string,
    private readonly events: CpuMeterEvents,
  ) {
    this.lastCpu = cpuTime();
  }

  /**
   * Starts charging a request; the CPU used outside requests so far is forgiven. With requests in flight, the CPU used
   * since the last reading goes to them and this one alike at the next: a reading per request cost a native call.
   */
  open(): CpuAccount {
    if (this.accounts.size === 0) {
      this.settle();
      this.idleMs = 0;
    }
    const account = new Account(this, this.nextAccount++);
    this.accounts.set(account.id, account);
    this.schedule();
    return account;
  }

  closeAccount(account: Account): void {
    if (!this.accounts.has(account.id)) return;
    this.settle();
    this.accounts.delete(account.id);
    if (this.accounts.size === 0) this.watchingIdle = true;
    this.schedule();
  }

  /** The host resumed guest code outside any request (a timer fired, a host call settled): watch what it uses. */
  kick(): void {
    if (this.stopped || this.accounts.size > 0) return;
    this.watchingIdle = true;
    if (!this.timer) this.schedule();
  }

  /** Stops watching; requests still charged fail with `reason` (why their isolate went). */
  stop(reason: HangarError): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const account of this.accounts.values()) account.fail(reason);
    this.accounts.clear();
  }

  /** The isolate's CPU time at the last reading (recent while requests are in flight). */
  get lastReading(): bigint {
    return this.lastCpu;
  }

  /** The LIMIT_CPU_TIME error for this app, naming its limit. */
  limitError(reason: string): HangarError {
    return new HangarError(ErrorCode.LIMIT_CPU_TIME, `app ${this.app} ${reason}: it used more than its CPU-time limit of ${this.limitMs} ms`, {
      details: { app: this.app, limitMs: this.limitMs },
    });
  }

  /** Charges the CPU used since the last reading; says how much that was and over how long. */
  private settle(): { cpuMs: number; wallMs: number } {
    let now: bigint;
    try {
      now = this.cpuTime();
    } catch {
      // A disposed isolate has no clock; nothing more can be charged.
      return { cpuMs: 0, wallMs: 0 };
    }
    const at = performance.now();
    const used = ms(now - this.lastCpu);
    const wallMs = at - this.lastAt;
    this.lastCpu = now;
    this.lastAt = at;
    if (this.accounts.size === 0) this.idleMs += used;
    else for (const account of this.accounts.values()) account.usedMs += used / this.accounts.size;
    return { cpuMs: used, wallMs };
  }

  /**
   * An isolate runs on one thread, so CPU time grows no faster than wall time: the next check is due when the
   * account closest to its limit could first pass it.
   */
  private schedule(): void {
    if (this.stopped) return;
    let dueMs: number;
    if (this.accounts.size > 0) {
      dueMs = Infinity;
      for (const account of this.accounts.values()) {
        dueMs = Math.min(dueMs, account.suspect ? Math.min(CONFIRM_MS, this.limitMs / 4) : this.limitMs - account.usedMs);
      }
    } else if (this.watchingIdle) {
      dueMs = this.limitMs - this.idleMs;
    } else {
      // Nothing to watch: a timer still set fires once, finds it so, and is not set again.
      return;
    }
    const delayMs = Math.max(1, Math.ceil(dueMs));
    const at = performance.now() + delayMs;
    // A check due no later is kept: checking early only reschedules, and a timer reset per request costs host time.
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.check(), delayMs);
    // A check never keeps the host process alive.
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    // A timer kept from before the isolate went quiet: there is nothing to check.
    if (this.accounts.size === 0 && !this.watchingIdle) return;
    const { cpuMs, wallMs } = this.settle();
    const burning = wallMs > 0 && cpuMs >= wallMs * BURNING_SHARE;
    for (const account of [...this.accounts.values()]) {
      const over = account.usedMs > this.limitMs;
      const confirmed = over && account.suspect;
      account.suspect = over;
      if (!confirmed) continue;
      this.accounts.delete(account.id);
      const error = this.limitError('did not answer within its CPU-time limit');
      account.fail(error);
      this.events.over(error, burning);
    }
    if (this.stopped) return;
    if (this.accounts.size === 0) {
      if (this.idleMs > this.limitMs) {
        this.idleMs = 0;
        this.watchingIdle = false;
        this.events.idleOver(this.limitError('kept running after its requests were answered'));
        return;
      }
      if (cpuMs < QUIET_MS) this.watchingIdle = false;
      else this.watchingIdle = true;
    }
    this.schedule();
  }
}
