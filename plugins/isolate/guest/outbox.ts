// The guest's outbox: what it has for the host (answers, host calls, waitUntil counts), taken by the host after each entry.
import type { GuestMessage } from '../protocol.js';

export interface Outbox {
  post(message: GuestMessage): void;
  /** Everything posted since the last drain, in order, or null when nothing was. */
  drain(): GuestMessage[] | null;
}

/**
 * Guest code runs only inside the host's entries (GuestApi.enter), and the host drains after each one, once its
 * microtasks have run: so nothing posted here waits for a wake-up, and one copy carries a whole turn's messages.
 */
export function createOutbox(): Outbox {
  let messages: GuestMessage[] = [];
  return {
    post(message) {
      // Not push(): an app may have replaced Array.prototype.push, and the host must still get its answers.
      messages[messages.length] = message;
    },
    drain() {
      if (messages.length === 0) return null;
      const taken = messages;
      messages = [];
      return taken;
    },
  };
}
