// Host calls from the guest: each is posted to the outbox by id, and its outcome comes back through a settle or fail entry.
import { OUTBOX_UNITS, type HostCallName, type HostCalls, type HostLink, type HostOutcome } from '../protocol.js';
import { stringUnits, type Outbox } from './outbox.js';

export interface HostCaller {
  calls: HostCalls;
  /** The host's outcome of call `callId`: its value (the 'settle' entry); an unknown id is ignored. */
  settle(callId: unknown, value: unknown): void;
  /** The host's outcome of call `callId`: its failure, `{ name, message }` (the 'fail' entry). */
  fail(callId: unknown, failure: unknown): void;
}

// Taken before app code runs: an app that replaces Promise or Map's methods cannot break or intercept host calls.
const NativePromise = Promise;
const { get: mapGet, set: mapSet, delete: mapDelete } = Map.prototype;
const apply = Reflect.apply;

const TOO_MUCH = `the host calls this isolate started at once pass more than ${OUTBOX_UNITS} characters of strings to the host; await some before starting more`;

/** Calls whose arguments come from the app (binding arguments, algorithm objects) and may not be copyable. */
const CHECKED = new Set<HostCallName>(['callBinding', 'subtle']);

/** Arguments that are all primitives (a cache call's keys and values): copyable, and nothing the app can change before the outbox is copied. */
function primitives(values: unknown[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if ((typeof value === 'object' && value !== null) || typeof value === 'function' || typeof value === 'symbol') return false;
  }
  return true;
}

/** A failure as the host sends it: only a name and a message, whatever else the entry held. */
function failure(given: unknown): Extract<HostOutcome<never>, { ok: false }> {
  const { name, message } = (typeof given === 'object' && given !== null ? given : {}) as { name?: unknown; message?: unknown };
  if (typeof name !== 'string' || typeof message !== 'string') return { ok: false, name: 'TypeError', message: 'the host answered a malformed failure' };
  return { ok: false, name, message };
}

/** The Error an app gets for a host call that failed: the host's name and message, and a stack of its own realm. */
export function hostError(outcome: Extract<HostOutcome<unknown>, { ok: false }>): Error {
  const error = new Error(outcome.message);
  error.name = outcome.name;
  return error;
}

/** What a pending call does with its outcome: `ok` with the value, else with the host's `{ name, message }`. */
type Settler = (ok: boolean, payload: unknown) => void;

export function createHostCaller(link: HostLink, outbox: Outbox): HostCaller {
  const pending = new Map<number, Settler>();
  let nextCall = 1;

  function start(name: HostCallName, given: unknown[], settler: Settler): void {
    let args = given;
    if (CHECKED.has(name) && !primitives(given)) {
      // The outbox is copied out whole, later: a value that cannot be copied fails this call here, not the host's
      // drain, and the app's objects are taken as they are now, as a direct call would have.
      try {
        const copy = new link.ExternalCopy(given);
        args = copy.copy() as unknown[];
        copy.release();
      } catch (error) {
        // isolated-vm's own error (a TypeError), as the app got when host calls copied their arguments directly.
        settler(false, { name: String((error as Error)?.name ?? 'TypeError'), message: String((error as Error)?.message) });
        return;
      }
    }
    if (!outbox.reserve(stringUnits(args))) {
      settler(false, { name: 'RangeError', message: TOO_MUCH });
      return;
    }
    const callId = nextCall++;
    apply(mapSet, pending, [callId, settler]);
    outbox.call(callId, name, args);
  }

  /** A call whose promise answers its outcome, for platform code that turns failures into errors of its own. */
  function call<T>(name: HostCallName, given: unknown[]): Promise<HostOutcome<T>> {
    return new NativePromise((resolve) => start(name, given, (ok, payload) => resolve(ok ? { ok: true, value: payload as T } : failure(payload))));
  }

  /** The settler of call `callId`, no longer pending. */
  function take(callId: unknown): Settler | undefined {
    const settler = apply(mapGet, pending, [callId]) as Settler | undefined;
    if (settler) apply(mapDelete, pending, [callId]);
    return settler;
  }

  return {
    calls: {
      readBody: (id) => call('readBody', [id]),
      // The app's own promise: the value, or the host's error. No outcome object between, and no async wrapper to
      // unwrap one: each promise layer costs every cache op microtask turns.
      callBinding: (binding, method, args) =>
        new NativePromise((resolve, reject) => {
          // The app's arguments after the binding and method, so the outbox holds them without a nested array; by
          // index, not spread: an app may have replaced Array.prototype[Symbol.iterator].
          const given: unknown[] = [binding, method];
          for (let i = 0; i < args.length; i++) given[i + 2] = args[i];
          start('callBinding', given, (ok, payload) => (ok ? resolve(payload) : reject(hostError(failure(payload)))));
        }),
      fetch: (id, head) => call('fetch', [id, head]),
      subtle: (method, args) => call('subtle', [method, args]),
      codec: (step) => call('codec', [step]),
    },
    settle(callId, value) {
      take(callId)?.(true, value);
    },
    fail(callId, given) {
      take(callId)?.(false, given);
    },
  };
}
