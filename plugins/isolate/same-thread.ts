// When an isolate's entries may run on the host's main thread: after a run of quick entries, while slow ones stay rare.
import { performance } from 'node:perf_hooks';
import type { ExecutorOptions } from '../../core/options.js';

/** The same-thread knobs (ExecutorOptions.sameThread), with their defaults filled in. */
export interface SameThreadPolicy {
  enabled: boolean;
  /** Quick entries in a row before an isolate is first promoted. */
  promoteAfter: number;
  /** CPU time one entry may use and still count as quick, ms. */
  quickMs: number;
  /** CPU time that slow entries of a promoted isolate may take on the main thread in a burst, ms. */
  slowBudgetMs: number;
  /** The share of wall time at which that budget refills. */
  slowShare: number;
  /**
   * Above this share of the main thread taken by the host's own work (event-loop utilization less synchronous
   * entries), entries go to the isolate's thread, where the guest runs beside the host on another core; 1 never.
   */
  busyLoop: number;
}

export const SAME_THREAD_DEFAULTS: SameThreadPolicy = { enabled: true, promoteAfter: 16, quickMs: 1, slowBudgetMs: 50, slowShare: 0.01, busyLoop: 1 };

/** The policy ExecutorOptions.sameThread asks for. */
export function sameThreadPolicy(option: ExecutorOptions['sameThread']): SameThreadPolicy {
  if (option === false) return { ...SAME_THREAD_DEFAULTS, enabled: false };
  if (option === undefined || option === true) return SAME_THREAD_DEFAULTS;
  const pick = (value: number | undefined, fallback: number, valid: (n: number) => boolean) => (typeof value === 'number' && valid(value) ? value : fallback);
  return {
    enabled: true,
    promoteAfter: pick(option.promoteAfter, SAME_THREAD_DEFAULTS.promoteAfter, (n) => Number.isSafeInteger(n) && n > 0),
    quickMs: pick(option.quickMs, SAME_THREAD_DEFAULTS.quickMs, (n) => n >= 0),
    slowBudgetMs: pick(option.slowBudgetMs, SAME_THREAD_DEFAULTS.slowBudgetMs, (n) => n >= 0),
    slowShare: pick(option.slowShare, SAME_THREAD_DEFAULTS.slowShare, (n) => n >= 0 && n <= 1),
    busyLoop: pick(option.busyLoop, SAME_THREAD_DEFAULTS.busyLoop, (n) => n >= 0 && n <= 1),
  };
}

/** How often the main thread's event-loop utilization is read, ms. */
const LOOP_SAMPLE_MS = 50;
/** Back on the main thread only below this share of the threshold, so the mode does not flap at its edge. */
const HYSTERESIS = 0.75;

let loopSample = performance.eventLoopUtilization();
let loopSampledAt = performance.now();
let hostShare = 0;
/** Wall time spent in synchronous entries, all isolates, since the last sample; ms. */
let guestMs = 0;

/** Counts a synchronous entry's wall time, which is the guest's share of the main thread, not the host's. */
export function ranOnMainThread(ms: number): void {
  guestMs += ms;
}

/**
 * The share of the main thread the host's own work took over the last sample (at most LOOP_SAMPLE_MS old): its
 * event-loop utilization less the synchronous entries. Guest work there is no reason to offload (without it the
 * main thread would wait for the isolate's); host work that fills the thread is.
 */
function mainHostShare(): number {
  const now = performance.now();
  if (now - loopSampledAt >= LOOP_SAMPLE_MS) {
    const sample = performance.eventLoopUtilization();
    const { active } = performance.eventLoopUtilization(sample, loopSample);
    hostShare = Math.max(0, active - guestMs) / (now - loopSampledAt);
    loopSample = sample;
    loopSampledAt = now;
    guestMs = 0;
  }
  return hostShare;
}

/** The longest run of quick entries a demoted isolate needs: past it, doubling gains nothing worth the overflow risk. */
const MAX_STREAK = 1 << 20;

/**
 * One record per app Lambda of a deployment, shared by its isolates and kept when one is replaced.
 *
 * A synchronous entry runs the guest on the host's main thread: no thread wake-ups, but the host's event loop waits
 * for it. So an isolate earns it: it starts asynchronous and is promoted after `promoteAfter` quick entries in a
 * row. Promoted, its slow entries (a garbage collection, a heavier request) draw on a budget that refills at
 * `slowShare` of wall time; one that overdraws it demotes the isolate, and each demotion doubles the run needed to
 * come back. So one isolate holds the main thread in slow entries for at most the budget, plus its share of the time,
 * plus one CPU limit per demotion, and demotions grow only logarithmically with the entries it makes.
 */
export class SameThread {
  private promoted = false;
  private streak = 0;
  private needed: number;
  private budgetMs: number;
  private refilledAt = performance.now();
  /** The main thread was found saturated: entries stay on the isolate's thread until it has room again. */
  private offloaded = false;
  /** Times this app was demoted. */
  demotions = 0;
  /** An entry on the main thread had to be stopped (a runaway): the app never goes back there. */
  private banished = false;

  constructor(private readonly policy: SameThreadPolicy) {
    this.needed = policy.promoteAfter;
    this.budgetMs = policy.slowBudgetMs;
  }

  /** Whether the app is promoted: its entries may run on the main thread. */
  get promotedNow(): boolean {
    return this.promoted;
  }

  /**
   * Whether the next entry runs on the main thread (the caller also checks that the isolate's thread is idle): when
   * promoted, and the host's own work leaves the main thread room. A main thread the host saturates gains more from
   * the isolate's own core than it loses to the wake-ups.
   */
  get eligible(): boolean {
    if (!this.promoted) return false;
    if (this.policy.busyLoop >= 1) return true;
    const share = mainHostShare();
    this.offloaded = this.offloaded ? share > this.policy.busyLoop * HYSTERESIS : share > this.policy.busyLoop;
    return !this.offloaded;
  }

  /**
   * A synchronous entry hit its CPU or wall limit and was terminated: it held the main thread for that whole limit.
   * Its isolate is replaced, but the record is the app's, so the new isolate cannot earn its way back and do it
   * again: an app that ran away on the main thread stays off it for good (this deployment).
   */
  banish(): void {
    if (!this.banished && this.promoted) this.demotions++;
    this.banished = true;
    this.promoted = false;
  }

  /** Records an entry's cost: its wall time on the main thread, its CPU time (or share of it) on the isolate's. */
  ran(cpuMs: number): void {
    if (!this.policy.enabled || this.banished) return;
    if (cpuMs <= this.policy.quickMs) {
      if (!this.promoted && ++this.streak >= this.needed) this.promoted = true;
      return;
    }
    this.streak = 0;
    if (!this.promoted) return;
    const now = performance.now();
    this.budgetMs = Math.min(this.policy.slowBudgetMs, this.budgetMs + (now - this.refilledAt) * this.policy.slowShare) - cpuMs;
    this.refilledAt = now;
    if (this.budgetMs >= 0) return;
    this.promoted = false;
    this.demotions++;
    this.budgetMs = this.policy.slowBudgetMs;
    this.needed = Math.min(this.needed * 2, MAX_STREAK);
  }
}
