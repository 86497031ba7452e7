// The bootstrap's entry: install() puts the web platform on the isolate's global, attach() gives it its app; the bridge stays in closures.
import { logLine, OUTBOX_UNITS, type GuestLogLevel, type GuestModule, type GuestPlatform, type HostBridge, type HostLink, type PlatformConfig } from '../protocol.js';
import { createDispatcher } from './dispatch.js';
import { createEnter } from './entries.js';
import { createEnv } from './env.js';
import { createFetchListeners, FetchEvent } from './events.js';
import { createFetch } from './fetch.js';
import { platformGlobals } from './globals.js';
import { createHostCaller } from './host-calls.js';
import { createOutbox } from './outbox.js';
import { createTimers } from './timers.js';
import { warmUp } from './warm-up.js';

/** Defines globals the way the web platform does: writable, configurable, not enumerable. */
function define(target: object, values: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(values)) {
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * Installs the platform: everything an app does not choose, so a spare isolate has it done before any app comes.
 * What remains for attach() is the app's own: its env, its bindings, and the dispatcher that calls its handler.
 */
export const install: GuestModule['install'] = (link: HostLink, config: PlatformConfig): GuestPlatform => {
  const global = globalThis;
  const outbox = createOutbox();
  const caller = createHostCaller(link, outbox);
  // Set by each batch (GuestApi.enter): where it runs decides where console lines go.
  const thread = { onMainThread: false };
  const send = (level: GuestLogLevel, line: string) => (thread.onMainThread ? outbox.post('log', level, line) : link.log(level, line));
  let droppedAt = -1;
  const bridge: HostBridge = {
    ...link,
    ...caller.calls,
    waitUntil: (seq, pending) => outbox.post('waitUntil', seq, pending),
    log: (level, message) => {
      const line = logLine(message);
      if (outbox.reserve(line.length)) send(level, line);
      else if (droppedAt !== outbox.drains) {
        // Past what one drain may carry the lines are dropped; the host hears so once, in a short line.
        droppedAt = outbox.drains;
        send('warn', `console lines were dropped: the app logged more than ${OUTBOX_UNITS} characters at once`);
      }
    },
  };
  const timers = createTimers(bridge, config.maxTimers);
  const listeners = createFetchListeners();
  const fetcher = createFetch(bridge);
  define(global, {
    ...platformGlobals(bridge, config, timers),
    fetch: fetcher.fetch,
    FetchEvent,
    addEventListener: listeners.addEventListener,
    removeEventListener: listeners.removeEventListener,
  });
  // WebAssembly memories live outside the isolate's heap limit (an isolate capped at 64 MiB allocated 8 GiB of
  // them), so a tenant could take the host's memory. Until they can be counted, apps get no WebAssembly.
  Reflect.deleteProperty(global, 'WebAssembly');
  // Settles within install()'s call (its microtasks run before the call returns), before any app code exists.
  void warmUp(bridge);
  let attached = false;
  return {
    attach(app, factories) {
      if (attached) throw new Error('this isolate already has its app');
      attached = true;
      // Binding wrappers run once the platform is in place, so they may use Response, URL and the rest.
      const { env, globals } = createEnv(bridge, app, factories);
      define(global, globals);
      // Service-worker style apps read their env from globals (as on Cloudflare); names the platform owns are kept.
      for (const [name, value] of Object.entries(env)) {
        if (!(name in global)) define(global, { [name]: value });
      }
      const dispatcher = createDispatcher(bridge, env, listeners);
      return { enter: createEnter({ outbox, dispatcher, fetcher, timers, caller, thread }), drain: outbox.drain };
    },
  };
};
