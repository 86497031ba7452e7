// Runs the request path's async hooks without a promise when every tap on them is synchronous.
//
// `hook.promise()` allocates a promise and closures, and each `await` of it costs a microtask turn: for the three
// hooks every request passes through, that was a measurable share of the kernel's time per request. A hook whose taps
// are all `tap()` (not `tapAsync`/`tapPromise`) and that has no interceptors is run here tap by tap, in tapable's
// order and with its semantics; anything else goes through tapable as before.
import type { AsyncSeriesBailHook, AsyncSeriesWaterfallHook } from 'tapable';

/** A value, or a promise of it when some tap had to run asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

interface RunnableHook {
  taps: readonly { type: string; fn: (...args: never[]) => unknown }[];
  interceptors: readonly unknown[];
}

function syncOnly(hook: RunnableHook): boolean {
  if (hook.interceptors.length > 0) return false;
  for (const tap of hook.taps) if (tap.type !== 'sync') return false;
  return true;
}

/** `hook.promise(value, arg)` of a waterfall: each tap's answer, when not undefined, replaces the value. */
export function runWaterfall<T, A>(hook: AsyncSeriesWaterfallHook<[T, A]>, value: T, arg: A): MaybePromise<T> {
  const runnable = hook as unknown as RunnableHook;
  if (!syncOnly(runnable)) return hook.promise(value, arg) as Promise<T>;
  let current = value;
  for (const tap of runnable.taps) {
    const answer = (tap.fn as (value: T, arg: A) => T | undefined)(current, arg);
    if (answer !== undefined) current = answer;
  }
  return current;
}

/** `hook.promise(value, arg)` of a bail hook: the first answer that is not undefined wins. */
export function runBail<T, A, R>(hook: AsyncSeriesBailHook<[T, A], R>, value: T, arg: A): MaybePromise<R | undefined> {
  const runnable = hook as unknown as RunnableHook;
  if (!syncOnly(runnable)) return hook.promise(value, arg) as Promise<R | undefined>;
  for (const tap of runnable.taps) {
    const answer = (tap.fn as (value: T, arg: A) => R | undefined)(value, arg);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return value instanceof Promise;
}
