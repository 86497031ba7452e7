// Where uncaught errors go: reportError, and queueMicrotask, whose callbacks' exceptions are reported, not thrown.
import { describe } from './console.js';

let sink: (message: string) => void = () => undefined;

/** Set by install(): the isolate's error log. */
export function reportTo(log: (message: string) => void): void {
  sink = log;
}

export function reportError(error: unknown): void {
  if (arguments.length === 0) throw new TypeError('reportError: 1 argument required, but only 0 present');
  sink(`Uncaught ${describe(error)}`);
}

export function queueMicrotask(callback: unknown): void {
  if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
  void Promise.resolve().then(() => {
    try {
      callback();
    } catch (error) {
      reportError(error);
    }
  });
}
