// AbortController and AbortSignal, per the DOM standard, with AbortSignal.abort, timeout and any.
import { DOMException } from './dom-exception.js';
import { dispatch, Event, EventTarget, listenerCount } from './event-target.js';

/** Lets the module make signals while `new AbortSignal()` stays an illegal constructor for apps. */
const CREATE = Symbol('create');

let schedule: (callback: () => void, ms: number) => void = () => {
  throw new Error('AbortSignal.timeout: the platform timers are not installed');
};

/** Set by install(): AbortSignal.timeout runs on the isolate's timers, whatever the app does to setTimeout. */
export function useTimer(timer: (callback: () => void, ms: number) => void): void {
  schedule = timer;
}

/**
 * Dependent signals (AbortSignal.any) are held weakly by their sources, so a long-lived source does not keep every
 * signal ever made from it; one with abort listeners must still fire, so it is held here until it aborts.
 */
const listened = new Set<AbortSignal>();

/** Internal hooks other modules use: follow a signal, abort one, combine several. */
export let addAbortAlgorithm: (signal: AbortSignal, algorithm: () => void) => () => void;
export let signalAbort: (signal: AbortSignal, reason: unknown) => void;
export let anySignal: (signals: Iterable<AbortSignal>) => AbortSignal;

function abortError(): DOMException {
  return new DOMException('This operation was aborted', 'AbortError');
}

class AbortSignal extends EventTarget {
  #aborted = false;
  #reason: unknown = undefined;
  readonly #algorithms = new Set<() => void>();
  readonly #dependents = new Set<WeakRef<AbortSignal>>();
  #sources: WeakRef<AbortSignal>[] | null = null;
  #onabort: unknown = null;
  #handlerListener: ((event: Event) => void) | null = null;

  constructor(token?: unknown) {
    if (token !== CREATE) throw new TypeError('Illegal constructor');
    super();
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = new AbortSignal(CREATE);
    signal.#aborted = true;
    signal.#reason = reason === undefined ? abortError() : reason;
    return signal;
  }

  static timeout(ms: unknown): AbortSignal {
    const delay = Number(ms);
    if (!Number.isFinite(delay) || delay < 0 || delay > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(`AbortSignal.timeout: ${String(ms)} is not a number of milliseconds`);
    }
    const signal = new AbortSignal(CREATE);
    schedule(() => signalAbort(signal, new DOMException('The operation timed out.', 'TimeoutError')), Math.trunc(delay));
    return signal;
  }

  static any(signals: Iterable<unknown>): AbortSignal {
    const list = [...signals];
    for (const signal of list) {
      if (!(signal instanceof AbortSignal)) throw new TypeError('AbortSignal.any: every item must be an AbortSignal');
    }
    return anySignal(list as AbortSignal[]);
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  get onabort(): unknown {
    return this.#onabort;
  }

  set onabort(handler: unknown) {
    this.#onabort = typeof handler === 'function' || (typeof handler === 'object' && handler !== null) ? handler : null;
    if (this.#onabort && !this.#handlerListener) {
      this.#handlerListener = (event) => {
        if (typeof this.#onabort === 'function') this.#onabort.call(this, event);
      };
      this.addEventListener('abort', this.#handlerListener);
    } else if (!this.#onabort && this.#handlerListener) {
      this.removeEventListener('abort', this.#handlerListener);
      this.#handlerListener = null;
    }
  }

  override addEventListener(type: unknown, callback: unknown, options?: unknown): void {
    super.addEventListener(type, callback, options);
    if (this.#sources && !this.#aborted && listenerCount(this, 'abort') > 0) listened.add(this);
  }

  override removeEventListener(type: unknown, callback: unknown, options?: unknown): void {
    super.removeEventListener(type, callback, options);
    if (listenerCount(this, 'abort') === 0) listened.delete(this);
  }

  override get [Symbol.toStringTag](): string {
    return 'AbortSignal';
  }

  /** The spec's "run the abort steps": internal algorithms first, then the abort event. */
  #runAbortSteps(): void {
    listened.delete(this);
    for (const algorithm of [...this.#algorithms]) algorithm();
    this.#algorithms.clear();
    dispatch(this, new Event('abort'), true);
  }

  static {
    addAbortAlgorithm = (signal, algorithm) => {
      if (!signal.#aborted) signal.#algorithms.add(algorithm);
      return () => signal.#algorithms.delete(algorithm);
    };

    signalAbort = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? abortError() : reason;
      const dependents: AbortSignal[] = [];
      for (const ref of signal.#dependents) {
        const dependent = ref.deref();
        if (!dependent || dependent.#aborted) continue;
        dependent.#aborted = true;
        dependent.#reason = signal.#reason;
        dependents.push(dependent);
      }
      signal.#dependents.clear();
      signal.#runAbortSteps();
      for (const dependent of dependents) dependent.#runAbortSteps();
    };

    anySignal = (signals) => {
      const result = new AbortSignal(CREATE);
      const list = [...signals];
      const aborted = list.find((signal) => signal.#aborted);
      if (aborted) {
        result.#aborted = true;
        result.#reason = aborted.#reason;
        return result;
      }
      result.#sources = [];
      // Every Request without a signal comes here: a WeakRef is only made when a source will hold it.
      if (list.length === 0) return result;
      const self = new WeakRef(result);
      const seen = new Set<AbortSignal>();
      for (const signal of list) {
        // A dependent signal's own sources are linked instead, so chains of any() stay one level deep.
        const sources = signal.#sources ? signal.#sources.map((ref) => ref.deref()).filter((s): s is AbortSignal => s !== undefined) : [signal];
        for (const source of sources) {
          if (seen.has(source)) continue;
          seen.add(source);
          result.#sources.push(new WeakRef(source));
          prune(source.#dependents);
          source.#dependents.add(self);
        }
      }
      return result;
    };
  }
}

/** Drops collected dependents now and then (when the set's size is a power of two), so the work stays amortized O(1). */
function prune(dependents: Set<WeakRef<AbortSignal>>): void {
  const size = dependents.size;
  if (size < 64 || (size & (size - 1)) !== 0) return;
  for (const ref of dependents) if (!ref.deref()) dependents.delete(ref);
}

class AbortController {
  readonly #signal = new AbortSignal(CREATE);

  get signal(): AbortSignal {
    return this.#signal;
  }

  abort(reason?: unknown): void {
    signalAbort(this.#signal, reason);
  }

  get [Symbol.toStringTag](): string {
    return 'AbortController';
  }
}

export { AbortController, AbortSignal };
