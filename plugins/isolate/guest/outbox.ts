// The guest's outbox: what it has for the host (answers, host calls, waitUntil counts), taken by the host after each entry.
import { OUTBOX_UNITS, type HostCallName, type OutboxKind } from '../protocol.js';

// Taken before app code runs, like every intrinsic the platform relies on.
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const keysOf = Object.keys;

/**
 * The string code units in `value`, through arrays and plain objects three levels down: what a drain copies for it.
 * Only platform-built values and copies of the app's arguments reach here, so reading them runs no app code.
 */
export function stringUnits(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null || depth >= 3 || isView(value)) return 0;
  let units = 0;
  // Indexed: an app may have replaced Array.prototype[Symbol.iterator].
  if (isArray(value)) for (let i = 0; i < value.length; i++) units += stringUnits(value[i], depth + 1);
  else {
    const keys = keysOf(value);
    for (let i = 0; i < keys.length; i++) units += keys[i]!.length + stringUnits((value as Record<string, unknown>)[keys[i]!], depth + 1);
  }
  return units;
}

export interface Outbox {
  /** A reply, a waitUntil count or a console line: its kind and two fields. */
  post(kind: Exclude<OutboxKind, 'call'>, a: unknown, b: unknown): void;
  /** A host call to start: its id, name and arguments. */
  call(callId: number, name: HostCallName, args: unknown[]): void;
  /** Everything posted since the last drain, in order and laid out flat (OutboxKind), or null when nothing was. */
  drain(): unknown[] | null;
  /**
   * Counts `units` of strings toward the next drain; false, counting nothing, when that would pass OUTBOX_UNITS (the
   * caller then posts a short failure instead). Console lines sent straight to the host count too.
   */
  reserve(units: number): boolean;
  /** Drains so far: a console line dropped since the last one is reported once. */
  readonly drains: number;
}

/**
 * Guest code runs only inside the host's entries (GuestApi.enter), and the host drains after each one, once its
 * microtasks have run: so nothing posted here waits for a wake-up, and one copy carries a whole turn's messages.
 */
export function createOutbox(): Outbox {
  let slots: unknown[] = [];
  let units = 0;
  let drains = 0;
  // Not push(): an app may have replaced Array.prototype.push, and the host must still get its answers.
  const put = (value: unknown) => {
    slots[slots.length] = value;
  };
  return {
    post(kind, a, b) {
      put(kind);
      put(a);
      put(b);
    },
    call(callId, name, args) {
      put('call');
      put(callId);
      put(name);
      put(args.length);
      for (let i = 0; i < args.length; i++) put(args[i]);
    },
    drain() {
      units = 0;
      drains++;
      if (slots.length === 0) return null;
      const taken = slots;
      slots = [];
      return taken;
    },
    reserve(more) {
      if (units + more > OUTBOX_UNITS) return false;
      units += more;
      return true;
    },
    get drains() {
      return drains;
    },
  };
}
