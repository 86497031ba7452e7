// setTimeout, setInterval and their clears: the host keeps the clock and fires each due timer back into the isolate.
import type { HostBridge } from '../protocol.js';
import { reportError } from './report.js';

export interface Timers {
  setTimeout(callback: unknown, delay?: unknown, ...args: unknown[]): number;
  setInterval(callback: unknown, delay?: unknown, ...args: unknown[]): number;
  /** clearTimeout and clearInterval are one function: timeouts and intervals share their ids, as on the web. */
  clearTimeout(id?: unknown): void;
  /** Runs a due timer (and re-arms an interval); an exception in it is reported, as an uncaught error would be. */
  fire(id: number): void;
}

interface Timer {
  run: () => void;
  /** Milliseconds; null for a timeout. */
  interval: number | null;
  nesting: number;
}

const MAX_DELAY = 2 ** 31 - 1;
/** The HTML standard clamps timers nested more than this deep to at least 4 ms, so a loop of timers cannot spin. */
const NESTING_LIMIT = 5;
const CLAMPED_MS = 4;

function delayOf(delay: unknown, nesting: number): number {
  const ms = Number(delay);
  const wanted = Number.isFinite(ms) && ms > 0 ? Math.min(Math.trunc(ms), MAX_DELAY) : 0;
  return nesting > NESTING_LIMIT ? Math.max(wanted, CLAMPED_MS) : wanted;
}

export function createTimers(bridge: HostBridge, maxTimers: number): Timers {
  const pending = new Map<number, Timer>();
  let nextId = 1;
  // The nesting level of the timer callback running now (0 outside of timers).
  let current = 0;

  function start(name: string, callback: unknown, delay: unknown, args: unknown[], repeat: boolean): number {
    if (typeof callback !== 'function') {
      throw new TypeError(`${name}: the callback must be a function (code given as a string is not run)`);
    }
    if (pending.size >= maxTimers) throw new RangeError(`${name}: more than ${maxTimers} timers are pending`);
    const id = nextId++;
    const nesting = current + 1;
    const ms = delayOf(delay, nesting);
    pending.set(id, { run: () => callback(...args), interval: repeat ? ms : null, nesting });
    bridge.setTimer(id, ms);
    return id;
  }

  return {
    setTimeout: (callback, delay = 0, ...args) => start('setTimeout', callback, delay, args, false),
    setInterval: (callback, delay = 0, ...args) => start('setInterval', callback, delay, args, true),
    clearTimeout(id) {
      if (pending.delete(Number(id))) bridge.clearTimer(Number(id));
    },
    fire(id) {
      const timer = pending.get(id);
      if (!timer) return;
      if (timer.interval === null) pending.delete(id);
      const outer = current;
      current = timer.nesting;
      try {
        timer.run();
      } catch (error) {
        reportError(error);
      } finally {
        current = outer;
      }
      // An interval the callback did not clear fires again; each repeat nests one level deeper, as in HTML.
      if (timer.interval !== null && pending.get(id) === timer) {
        timer.nesting++;
        timer.interval = delayOf(timer.interval, timer.nesting);
        bridge.setTimer(id, timer.interval);
      }
    },
  };
}
