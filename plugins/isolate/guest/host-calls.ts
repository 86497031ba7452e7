// Host calls from the guest: each is posted to the outbox by id, and its outcome comes back through the settle entry.
import type { HostCallName, HostCalls, HostLink, HostOutcome } from '../protocol.js';
import type { Outbox } from './outbox.js';

export interface HostCaller {
  calls: HostCalls;
  /** The host's outcome of call `callId` (the 'settle' entry); an unknown id is ignored. */
  settle(callId: unknown, outcome: unknown): void;
}

// Taken before app code runs: an app that replaces Promise or Map's methods cannot break or intercept host calls.
const NativePromise = Promise;
const { get: mapGet, set: mapSet, delete: mapDelete } = Map.prototype;
const apply = Reflect.apply;
const isArray = Array.isArray;

/** Calls whose arguments come from the app (binding arguments, algorithm objects) and may not be copyable. */
const CHECKED = new Set<HostCallName>(['callBinding', 'subtle']);

/**
 * Arguments the guest made itself, holding only primitives (a binding call's argument list of strings and numbers):
 * copyable, and nothing the app can change before the outbox is copied.
 */
function flat(values: unknown[], nested = false): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'object' && value !== null) {
      if (nested || !isArray(value) || !flat(value as unknown[], true)) return false;
    } else if (typeof value === 'function' || typeof value === 'symbol') return false;
  }
  return true;
}

function isOutcome(value: unknown): value is HostOutcome<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as HostOutcome<unknown>).ok === 'boolean';
}

export function createHostCaller(link: HostLink, outbox: Outbox): HostCaller {
  const pending = new Map<number, (outcome: HostOutcome<unknown>) => void>();
  let nextCall = 1;

  function call<T>(name: HostCallName, given: unknown[]): Promise<HostOutcome<T>> {
    let args = given;
    if (CHECKED.has(name) && !flat(given)) {
      // The outbox is copied out whole, later: a value that cannot be copied fails this call here, not the host's
      // drain, and the app's objects are taken as they are now, as a direct call would have.
      try {
        const copy = new link.ExternalCopy(given);
        args = copy.copy() as unknown[];
        copy.release();
      } catch (error) {
        // isolated-vm's own error (a TypeError), as the app got when host calls copied their arguments directly.
        return NativePromise.resolve({ ok: false, name: String((error as Error)?.name ?? 'TypeError'), message: String((error as Error)?.message) });
      }
    }
    const callId = nextCall++;
    return new NativePromise((resolve) => {
      apply(mapSet, pending, [callId, resolve]);
      outbox.post(['call', callId, name, args]);
    });
  }

  return {
    calls: {
      readBody: (id) => call('readBody', [id]),
      callBinding: (binding, method, args) => call('callBinding', [binding, method, args]),
      fetch: (id, head) => call('fetch', [id, head]),
      subtle: (method, args) => call('subtle', [method, args]),
      codec: (step) => call('codec', [step]),
    },
    settle(callId, outcome) {
      const resolve = apply(mapGet, pending, [callId]) as ((outcome: HostOutcome<unknown>) => void) | undefined;
      if (!resolve) return;
      apply(mapDelete, pending, [callId]);
      resolve(isOutcome(outcome) ? outcome : { ok: false, name: 'TypeError', message: 'the host answered a malformed outcome' });
    },
  };
}
