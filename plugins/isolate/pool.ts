// The isolates of every deployed app: per app Lambda between a min and a max, idle ones torn down, all under a global cap.
import type { DispatchTarget } from '../../core/executor.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { AppIsolate } from './app-isolate.js';
import type { Deadline } from './deadline.js';

export interface PoolLimits {
  /** Isolates kept per app Lambda once it is activated (exempt from idle teardown). */
  min: number;
  /** Most isolates per app Lambda. */
  max: number;
  /** Most isolates in the process. */
  maxIsolates: number;
  /** An isolate with no request for this long is torn down, ms. */
  idleMs: number;
  /** Heap share of the memory limit past which an isolate is replaced, in [0, 1]. */
  recycleHeapShare: number;
}

/** What the pool hears from an isolate it made. */
export interface IsolateEvents {
  /** A request (with its body and waitUntil work) finished. */
  settled(isolate: AppIsolate): void;
}

export type IsolateFactory = (target: DispatchTarget, deadline: Deadline, events: IsolateEvents) => Promise<AppIsolate>;

export interface IsolateStats {
  app: string;
  /** Requests in flight, background work included. */
  load: number;
  heapUsedBytes: number;
  /** Whether its entries run on the main thread now, and how often it lost that (same-thread.ts). */
  sameThread: boolean;
  demotions: number;
}

interface Group {
  key: string;
  /** The latest request's target, for restarting a `min` isolate. */
  target: DispatchTarget;
  deploymentId: string;
  isolates: Set<AppIsolate>;
  /** Isolates being created for it. */
  starting: number;
  /** The latest of them, which requests that find no isolate wait for. */
  pending?: Promise<AppIsolate>;
}

/** Released deployment ids remembered, so a request routed just before a switch does not pin an isolate. */
const RETIRED_MEMORY = 10_000;
/** The heap of an isolate is read at most this often (it is a call into the isolate's thread). */
const HEAP_CHECK_MS = 100;

const closedError = () => new HangarError(ErrorCode.INTERNAL, 'the isolate executor is closed', { status: 503 });

export class IsolatePool {
  private readonly groups = new Map<string, Group>();
  /** Every pooled isolate, with its group. */
  private readonly pooled = new Map<AppIsolate, Group>();
  /**
   * When each pooled isolate was last handed a request (performance.now()): eviction takes the least recent idle one.
   * A timestamp, not a reordered Map: reordering on every request churned the Map's tables, and eviction is rare.
   */
  private readonly lastUsed = new WeakMap<AppIsolate, number>();
  /** Each app Lambda's group, found without building its key on every request. */
  private readonly groupOf = new WeakMap<DispatchTarget['lambda'], Group>();
  /** When each idle pooled isolate went idle (performance.now()); an isolate with a request in flight is not here. */
  private readonly idleSince = new Map<AppIsolate, number>();
  /**
   * One timer for every idle teardown, due at the earliest: a timer set and cleared per request cost more than
   * the rest of the pool's bookkeeping.
   */
  private sweepTimer?: NodeJS.Timeout;
  private sweepAt = Infinity;
  private readonly heapCheckedAt = new WeakMap<AppIsolate, number>();
  private readonly retired = new Set<string>();
  /** Isolates alive and not pooled: one-offs for released deployments, and recycled ones draining. */
  private readonly loose = new Set<AppIsolate>();
  private startingTotal = 0;
  private closed = false;
  private readonly events: IsolateEvents = { settled: (isolate) => this.settled(isolate) };

  constructor(
    private readonly create: IsolateFactory,
    private readonly limits: PoolLimits,
    /** The startup deadline of an isolate started ahead of requests. */
    private readonly deadline: (target: DispatchTarget) => Deadline,
    private readonly onWarmError: (error: unknown, target: DispatchTarget) => void,
  ) {}

  /**
   * The isolate for a request: an idle one of its app Lambda, else a new one while the Lambda has fewer than `max`
   * (and the process has room), else the least busy one. A ready isolate comes back synchronously, so the caller
   * can start its request (and count it in the isolate's load) before any other request is placed.
   */
  acquire(target: DispatchTarget, deadline: Deadline): AppIsolate | Promise<AppIsolate> {
    if (this.closed) throw closedError();
    if (this.retired.has(target.deployment.id)) return this.oneOff(target, deadline);
    const group = this.group(target);
    let best: AppIsolate | undefined;
    let serving = 0;
    for (const isolate of group.isolates) {
      if (!isolate.serving) continue;
      serving++;
      if (!best || isolate.load < best.load) best = isolate;
    }
    if (best?.load === 0) return this.touch(best);
    // One retiring (its requests finishing before it goes) no longer counts against the app's max.
    if (serving + group.starting < this.limits.max && this.makeRoom()) return this.start(target, group, deadline);
    if (best) return this.touch(best);
    if (group.pending) return group.pending;
    throw new HangarError(ErrorCode.LIMIT_ISOLATES, `all ${this.limits.maxIsolates} isolates of this process are busy, so none could be started for app ${target.deployment.app}; try again, or raise limits.maxIsolates`, {
      details: { app: target.deployment.app, limit: this.limits.maxIsolates },
    });
  }

  /** Starts the `min` isolates of each target (an activated deployment's Lambdas) in the background. */
  warm(targets: DispatchTarget[]): void {
    for (const target of targets) this.refill(this.group(target));
  }

  private refill(group: Group): void {
    while (!this.closed && this.groups.get(group.key) === group && group.isolates.size + group.starting < this.limits.min && this.makeRoom()) {
      this.start(group.target, group, this.deadline(group.target)).catch((error: unknown) => this.onWarmError(error, group.target));
    }
  }

  private group(target: DispatchTarget): Group {
    const known = this.groupOf.get(target.lambda);
    if (known && this.groups.get(known.key) === known) {
      known.target = target;
      return known;
    }
    const key = `${target.deployment.id}\0${target.lambda.digest ?? target.path}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { key, target, deploymentId: target.deployment.id, isolates: new Set(), starting: 0 }));
    group.target = target;
    this.groupOf.set(target.lambda, group);
    return group;
  }

  private touch(isolate: AppIsolate): AppIsolate {
    this.lastUsed.set(isolate, performance.now());
    if (this.idleSince.size > 0) this.idleSince.delete(isolate);
    return isolate;
  }

  /** True when the process may hold one more isolate, tearing down the least recently used idle one if it must. */
  private makeRoom(): boolean {
    if (this.pooled.size + this.loose.size + this.startingTotal < this.limits.maxIsolates) return true;
    let oldest: AppIsolate | undefined;
    let oldestAt = Infinity;
    for (const isolate of this.pooled.keys()) {
      const at = this.lastUsed.get(isolate) ?? -Infinity;
      if (isolate.load === 0 && at < oldestAt) {
        oldest = isolate;
        oldestAt = at;
      }
    }
    if (!oldest) return false;
    this.remove(oldest);
    oldest.dispose();
    return true;
  }

  private start(target: DispatchTarget, group: Group, deadline: Deadline): Promise<AppIsolate> {
    group.starting++;
    this.startingTotal++;
    const started = this.create(target, deadline, this.events).then(
      (isolate) => {
        this.startingTotal--;
        group.starting--;
        if (this.closed) {
          isolate.dispose();
          throw closedError();
        }
        if (this.groups.get(group.key) === group) {
          group.isolates.add(isolate);
          this.pooled.set(isolate, group);
          this.lastUsed.set(isolate, performance.now());
          // Out of memory, a runaway, a V8 failure: a `min` isolate is replaced.
          void isolate.disposed.then(() => this.remove(isolate) && this.refill(group));
        } else {
          // Released while it started: it serves the requests that waited for it, then goes.
          this.adoptLoose(isolate);
          isolate.retire();
        }
        return isolate;
      },
      (error: unknown) => {
        this.startingTotal--;
        group.starting--;
        throw error;
      },
    );
    group.pending = started;
    void started.then(
      () => group.pending === started && (group.pending = undefined),
      () => group.pending === started && (group.pending = undefined),
    );
    return started;
  }

  private async oneOff(target: DispatchTarget, deadline: Deadline): Promise<AppIsolate> {
    const isolate = await this.create(target, deadline, this.events);
    if (this.closed) {
      isolate.dispose();
      throw closedError();
    }
    this.adoptLoose(isolate);
    isolate.retire();
    return isolate;
  }

  private adoptLoose(isolate: AppIsolate): void {
    this.loose.add(isolate);
    void isolate.disposed.then(() => this.loose.delete(isolate));
  }

  /** Takes an isolate out of the pool; false when it was not in it. */
  private remove(isolate: AppIsolate): boolean {
    const group = this.pooled.get(isolate);
    if (!group) return false;
    this.pooled.delete(isolate);
    group.isolates.delete(isolate);
    this.idleSince.delete(isolate);
    return true;
  }

  /** After each request: an oversized heap is recycled, and an isolate left idle is due for teardown after idleMs. */
  private settled(isolate: AppIsolate): void {
    if (!this.pooled.has(isolate) || !isolate.alive) return;
    this.checkHeap(isolate);
    if (isolate.load > 0 || this.idleSince.has(isolate)) return;
    const now = performance.now();
    this.idleSince.set(isolate, now);
    this.armSweep(now + this.limits.idleMs);
  }

  private armSweep(at: number): void {
    if (this.closed || (this.sweepTimer && this.sweepAt <= at)) return;
    clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    this.sweepTimer = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(at - performance.now())));
    this.sweepTimer.unref();
  }

  /** Tears down the isolates idle for idleMs (but a group's `min`), and sets the timer for the next one due. */
  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const [isolate, since] of this.idleSince) {
      const group = this.pooled.get(isolate);
      if (!group || isolate.load > 0) {
        this.idleSince.delete(isolate);
        continue;
      }
      if (now - since < this.limits.idleMs) next = Math.min(next, since + this.limits.idleMs);
      else if (group.isolates.size > this.limits.min) {
        this.remove(isolate);
        isolate.dispose();
      } else this.idleSince.delete(isolate);
    }
    if (next < Infinity) this.armSweep(next);
  }

  private checkHeap(isolate: AppIsolate): void {
    const now = performance.now();
    if (now - (this.heapCheckedAt.get(isolate) ?? -Infinity) < HEAP_CHECK_MS) return;
    this.heapCheckedAt.set(isolate, now);
    isolate.heapUsedBytes().then(
      (bytes) => {
        const group = this.pooled.get(isolate);
        if (!group || bytes <= isolate.memoryLimitBytes * this.limits.recycleHeapShare) return;
        this.remove(isolate);
        this.adoptLoose(isolate);
        isolate.retire();
        this.refill(group);
      },
      () => undefined,
    );
  }

  /** A deployment serves again (a rollback to the same content): its isolates may be kept again. */
  revive(deploymentId: string): void {
    this.retired.delete(deploymentId);
  }

  /** A deployment no longer serves: its isolates go once their in-flight requests finish. */
  release(deploymentId: string): void {
    this.retired.add(deploymentId);
    if (this.retired.size > RETIRED_MEMORY) this.retired.delete(this.retired.values().next().value!);
    for (const [key, group] of this.groups) {
      if (group.deploymentId !== deploymentId) continue;
      this.groups.delete(key);
      for (const isolate of [...group.isolates]) {
        this.remove(isolate);
        this.adoptLoose(isolate);
        isolate.retire();
      }
    }
  }

  /** Every live isolate, with its load and heap, for operators and tests. */
  async stats(): Promise<IsolateStats[]> {
    const all = [...this.pooled.keys(), ...this.loose];
    return Promise.all(all.map(async (isolate) => ({ app: isolate.app, load: isolate.load, heapUsedBytes: await isolate.heapUsedBytes().catch(() => 0), ...isolate.entryMode })));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    this.idleSince.clear();
    const all = [...this.pooled.keys(), ...this.loose];
    this.groups.clear();
    this.pooled.clear();
    for (const isolate of all) isolate.dispose();
  }
}
