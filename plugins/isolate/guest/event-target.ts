// Event, CustomEvent and EventTarget, per the DOM standard, for targets outside a tree (so no capture or bubble path).
import { DOMException } from './dom-exception.js';
import { now } from './performance.js';
import { reportError } from './report.js';

export interface EventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

type Callback = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Listener {
  callback: Callback;
  capture: boolean;
  once: boolean;
  passive: boolean;
  removed: boolean;
}

const PHASES = { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 } as const;

/** Module-private: runs an event's listeners on a target; `trusted` for events the platform itself fires. */
let dispatch: (target: EventTarget, event: Event, trusted: boolean) => boolean;
/** Module-private: how many live listeners of a type a target has (AbortSignal.any keeps listened-to signals alive). */
let listenerCount: (target: EventTarget, type: string) => number;
/** A snapshot of a target's listeners: ones added during a dispatch do not run, removed ones are skipped by flag. */
let listenersOf: (target: EventTarget, type: string) => Listener[];
let forget: (target: EventTarget, type: string, listener: Listener) => void;

class Event {
  readonly #type: string;
  readonly #bubbles: boolean;
  readonly #cancelable: boolean;
  readonly #composed: boolean;
  readonly #timeStamp = now();
  #target: EventTarget | null = null;
  #currentTarget: EventTarget | null = null;
  #phase: number = PHASES.NONE;
  #canceled = false;
  #stopped = false;
  #stoppedImmediately = false;
  #dispatching = false;
  #inPassiveListener = false;
  #trusted = false;

  constructor(type: unknown, init: EventInit | null = {}) {
    if (arguments.length === 0) throw new TypeError('Event: 1 argument required, but only 0 present');
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }

  get type(): string {
    return this.#type;
  }
  get target(): EventTarget | null {
    return this.#target;
  }
  get srcElement(): EventTarget | null {
    return this.#target;
  }
  get currentTarget(): EventTarget | null {
    return this.#currentTarget;
  }
  get eventPhase(): number {
    return this.#phase;
  }
  get bubbles(): boolean {
    return this.#bubbles;
  }
  get cancelable(): boolean {
    return this.#cancelable;
  }
  get composed(): boolean {
    return this.#composed;
  }
  get defaultPrevented(): boolean {
    return this.#canceled;
  }
  get returnValue(): boolean {
    return !this.#canceled;
  }
  set returnValue(value: boolean) {
    if (!value) this.preventDefault();
  }
  get cancelBubble(): boolean {
    return this.#stopped;
  }
  set cancelBubble(value: boolean) {
    if (value) this.#stopped = true;
  }
  get timeStamp(): number {
    return this.#timeStamp;
  }
  get isTrusted(): boolean {
    return this.#trusted;
  }

  composedPath(): EventTarget[] {
    return this.#currentTarget ? [this.#currentTarget] : [];
  }

  stopPropagation(): void {
    this.#stopped = true;
  }

  stopImmediatePropagation(): void {
    this.#stopped = this.#stoppedImmediately = true;
  }

  preventDefault(): void {
    if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
  }

  get [Symbol.toStringTag](): string {
    return 'Event';
  }

  static {
    dispatch = (target, event, trusted) => {
      if (event.#dispatching) throw new DOMException('dispatchEvent: the event is already being dispatched', 'InvalidStateError');
      event.#trusted = trusted;
      event.#dispatching = true;
      event.#target = event.#currentTarget = target;
      event.#phase = PHASES.AT_TARGET;
      try {
        for (const listener of listenersOf(target, event.#type)) {
          if (listener.removed) continue;
          if (listener.once) forget(target, event.#type, listener);
          event.#inPassiveListener = listener.passive;
          invoke(listener.callback, target, event);
          event.#inPassiveListener = false;
          if (event.#stoppedImmediately) break;
        }
      } finally {
        event.#phase = PHASES.NONE;
        event.#currentTarget = null;
        event.#dispatching = event.#stopped = event.#stoppedImmediately = event.#inPassiveListener = false;
      }
      return !event.#canceled;
    };
  }
}

for (const [name, value] of Object.entries(PHASES)) {
  const descriptor = { value, enumerable: true, writable: false, configurable: false };
  Object.defineProperty(Event, name, descriptor);
  Object.defineProperty(Event.prototype, name, descriptor);
}

/** A listener's exception is reported and the dispatch goes on, as on the web. */
function invoke(callback: Callback, target: EventTarget, event: Event): void {
  try {
    if (typeof callback === 'function') {
      callback.call(target, event);
      return;
    }
    const handleEvent = callback.handleEvent;
    if (typeof handleEvent !== 'function') throw new TypeError('the event listener has no handleEvent method');
    handleEvent.call(callback, event);
  } catch (error) {
    reportError(error);
  }
}

class CustomEvent<T = unknown> extends Event {
  readonly #detail: T | null;

  constructor(type: unknown, init: (EventInit & { detail?: T }) | null = {}) {
    if (arguments.length === 0) throw new TypeError('CustomEvent: 1 argument required, but only 0 present');
    super(type, init);
    this.#detail = init?.detail ?? null;
  }

  get detail(): T | null {
    return this.#detail;
  }

  override get [Symbol.toStringTag](): string {
    return 'CustomEvent';
  }
}

interface ListenerOptions {
  capture: boolean;
  once: boolean;
  passive: boolean;
  signal: { aborted: boolean; addEventListener(type: string, callback: () => void): void } | null;
}

function flatten(options: unknown): ListenerOptions {
  if (typeof options !== 'object' || options === null) return { capture: Boolean(options), once: false, passive: false, signal: null };
  const { capture, once, passive, signal } = options as Record<string, unknown>;
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || !('aborted' in signal))) {
    throw new TypeError('addEventListener: options.signal must be an AbortSignal');
  }
  return { capture: Boolean(capture), once: Boolean(once), passive: Boolean(passive), signal: (signal as ListenerOptions['signal']) ?? null };
}

function checkCallback(callback: unknown): callback is Callback {
  if (callback === null || callback === undefined) return false;
  if (typeof callback !== 'function' && typeof callback !== 'object') throw new TypeError('the event listener must be a function or an object');
  return true;
}

class EventTarget {
  readonly #listeners = new Map<string, Listener[]>();

  addEventListener(type: unknown, callback: unknown, options?: unknown): void {
    if (arguments.length < 2) throw new TypeError('addEventListener: 2 arguments required');
    const { capture, once, passive, signal } = flatten(options);
    if (!checkCallback(callback)) return;
    if (signal?.aborted) return;
    const key = String(type);
    const list = this.#listeners.get(key) ?? [];
    if (list.some((listener) => listener.callback === callback && listener.capture === capture)) return;
    list.push({ callback, capture, once, passive, removed: false });
    this.#listeners.set(key, list);
    signal?.addEventListener('abort', () => this.removeEventListener(key, callback, { capture }));
  }

  removeEventListener(type: unknown, callback: unknown, options?: unknown): void {
    if (arguments.length < 2) throw new TypeError('removeEventListener: 2 arguments required');
    const capture = typeof options === 'object' && options !== null ? Boolean((options as { capture?: unknown }).capture) : Boolean(options);
    const key = String(type);
    const found = this.#listeners.get(key)?.find((listener) => listener.callback === callback && listener.capture === capture);
    if (found) forget(this, key, found);
  }

  dispatchEvent(event: unknown): boolean {
    if (!(event instanceof Event)) throw new TypeError('dispatchEvent: the argument must be an Event');
    return dispatch(this, event, false);
  }

  get [Symbol.toStringTag](): string {
    return 'EventTarget';
  }

  static {
    listenerCount = (target, type) => target.#listeners.get(type)?.length ?? 0;
    listenersOf = (target, type) => [...(target.#listeners.get(type) ?? [])];
    forget = (target, type, listener) => {
      listener.removed = true;
      const list = target.#listeners.get(type);
      const index = list ? list.indexOf(listener) : -1;
      if (index < 0) return;
      list!.splice(index, 1);
      if (list!.length === 0) target.#listeners.delete(type);
    };
  }
}

export { CustomEvent, dispatch, Event, EventTarget, listenerCount };
