// One request inside the isolate: build the Request, run the app's handler, and hand its Response back to the host.
import type { DispatchResult, HostBridge, RequestHead } from '../protocol.js';
import { takeContent } from './body.js';
import { describe } from './console.js';
import type { FetchListeners } from './events.js';
import { chunkReader, hostBody, type ChunkReader } from './host-body.js';
import { requestFromHost, type Request } from './request.js';
import { Response } from './response.js';
import { createWaitUntil } from './wait-until.js';

interface ModuleHandler {
  fetch(request: Request, env: unknown, ctx: unknown): unknown;
}

export interface Dispatcher {
  dispatch(head: RequestHead): Promise<DispatchResult>;
  pull(id: number): Promise<Uint8Array | null>;
  cancel(id: number): void;
}

/** The module-style handler, if the app's bundle left one at `__hangar_entry__.default`. */
function moduleHandler(): ModuleHandler | null {
  const entry = (globalThis as { __hangar_entry__?: { default?: unknown } }).__hangar_entry__;
  const handler = entry?.default as Partial<ModuleHandler> | undefined;
  return handler && typeof handler.fetch === 'function' ? (handler as ModuleHandler) : null;
}

function exception(error: unknown): DispatchResult {
  if (error instanceof Error) {
    let stack = '';
    try {
      stack = String(error.stack ?? '');
    } catch {
      // A throwing stack getter (Error.prepareStackTrace) leaves the stack out.
    }
    return { kind: 'exception', name: String(error.name), message: String(error.message), stack };
  }
  return { kind: 'exception', name: 'Uncaught', message: describe(error), stack: '' };
}

export function createDispatcher(bridge: HostBridge, env: unknown, listeners: FetchListeners): Dispatcher {
  const streams = new Map<number, ChunkReader>();
  let nextStream = 1;
  let handler: ModuleHandler | null | undefined;

  async function respond(request: Request, seq: number): Promise<unknown> {
    const waitUntil = createWaitUntil(bridge, seq);
    handler ??= moduleHandler();
    if (handler) return handler.fetch(request, env, Object.freeze({ waitUntil }));
    if (!listeners.active) return undefined;
    return listeners.dispatch(request, waitUntil) ?? undefined;
  }

  return {
    async dispatch(head) {
      try {
        const request = requestFromHost(head.url, head.method, head.headers, head.body === null ? null : hostBody(bridge, head.body));
        const response = await respond(request, head.seq);
        if (response === undefined) {
          const message = handler
            ? 'the default export’s fetch() returned nothing'
            : listeners.active
              ? 'no fetch listener called event.respondWith()'
              : 'the app neither exports default { fetch } nor adds a fetch event listener';
          return { kind: 'no-response', message };
        }
        if (!(response instanceof Response)) {
          return exception(new TypeError(`the app answered ${describe(response)}, which is not a Response`));
        }
        if (response.type === 'error') return { kind: 'no-response', message: 'the app answered Response.error()' };
        const content = takeContent(response);
        let body: Uint8Array | number | null = null;
        if (content instanceof Uint8Array) body = content;
        else if (content !== null) {
          body = nextStream++;
          streams.set(body, chunkReader(content));
        }
        return { kind: 'response', status: response.status, statusText: response.statusText, headers: [...response.headers], body };
      } catch (error) {
        return exception(error);
      }
    },

    async pull(id) {
      const reader = streams.get(id);
      if (!reader) return null;
      try {
        const chunk = await reader.read();
        if (chunk === null) streams.delete(id);
        return chunk;
      } catch (error) {
        streams.delete(id);
        throw error;
      }
    },

    cancel(id) {
      const reader = streams.get(id);
      streams.delete(id);
      reader?.cancel();
    },
  };
}
