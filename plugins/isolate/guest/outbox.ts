// The guest's outbox: what it has for the host (answers, host calls, waitUntil counts), taken by the host after each entry.
import type { HostCallName, OutboxKind } from '../protocol.js';

export interface Outbox {
  /** A reply, a waitUntil count or a console line: its kind and two fields. */
  post(kind: Exclude<OutboxKind, 'call'>, a: unknown, b: unknown): void;
  /** A host call to start: its id, name and arguments. */
  call(callId: number, name: HostCallName, args: unknown[]): void;
  /** Everything posted since the last drain, in order and laid out flat (OutboxKind), or null when nothing was. */
  drain(): unknown[] | null;
}

/**
 * Guest code runs only inside the host's entries (GuestApi.enter), and the host drains after each one, once its
 * microtasks have run: so nothing posted here waits for a wake-up, and one copy carries a whole turn's messages.
 */
export function createOutbox(): Outbox {
  let slots: unknown[] = [];
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
      if (slots.length === 0) return null;
      const taken = slots;
      slots = [];
      return taken;
    },
  };
}
