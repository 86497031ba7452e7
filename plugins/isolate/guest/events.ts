// The service-worker style: addEventListener('fetch', …) and the FetchEvent handed to its listeners.
import type { Request } from './request.js';

type Listener = ((event: FetchEvent) => void) | { handleEvent(event: FetchEvent): void };

/** Settles a promise the app passed to waitUntil, logging a rejection the way an unhandled one would be. */
export type BackgroundSink = (promise: unknown) => void;

/** Module-private: ends an event's synchronous dispatch and gives what respondWith got, if anything. */
let finish: (event: FetchEvent) => Promise<unknown> | null;

class FetchEvent {
  readonly type = 'fetch';
  readonly #request: Request;
  readonly #background: BackgroundSink;
  #response: Promise<unknown> | null = null;
  #dispatching = true;

  constructor(request: Request, background: BackgroundSink) {
    this.#request = request;
    this.#background = background;
  }

  get request(): Request {
    return this.#request;
  }

  respondWith(response: unknown): void {
    if (!this.#dispatching) throw new Error('respondWith must be called synchronously in the fetch listener');
    if (this.#response) throw new Error('respondWith was already called for this request');
    this.#response = Promise.resolve(response);
  }

  waitUntil(promise: unknown): void {
    this.#background(promise);
  }

  static {
    finish = (event) => {
      event.#dispatching = false;
      return event.#response;
    };
  }
}

export interface FetchListeners {
  addEventListener(type: unknown, listener: unknown): void;
  removeEventListener(type: unknown, listener: unknown): void;
  /** Whether any fetch listener is registered. */
  readonly active: boolean;
  /** Runs every fetch listener; answers what respondWith got, or null when no listener called it. */
  dispatch(request: Request, background: BackgroundSink): Promise<unknown> | null;
}

export function createFetchListeners(): FetchListeners {
  const listeners: Listener[] = [];
  return {
    addEventListener(type, listener) {
      if (String(type) !== 'fetch') return;
      const valid = typeof listener === 'function' || (typeof listener === 'object' && listener !== null && 'handleEvent' in listener);
      if (!valid) throw new TypeError('addEventListener: the listener must be a function or an object with handleEvent');
      if (!listeners.includes(listener as Listener)) listeners.push(listener as Listener);
    },
    removeEventListener(type, listener) {
      const index = String(type) === 'fetch' ? listeners.indexOf(listener as Listener) : -1;
      if (index >= 0) listeners.splice(index, 1);
    },
    get active() {
      return listeners.length > 0;
    },
    dispatch(request, background) {
      const event = new FetchEvent(request, background);
      try {
        for (const listener of [...listeners]) {
          if (typeof listener === 'function') listener.call(globalThis, event);
          else listener.handleEvent(event);
        }
      } finally {
        finish(event);
      }
      return finish(event);
    },
  };
}

export { FetchEvent };
