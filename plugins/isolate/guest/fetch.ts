// fetch(): the host makes the request (SSRF guard, timeout, subrequest limit); bodies stream both ways through the bridge.
import type { FetchAnswer, FetchHead, HostBridge } from '../protocol.js';
import { addAbortAlgorithm } from './abort.js';
import { takeContent } from './body.js';
import { hostError } from './host-calls.js';
import { chunkReader, hostBody, type ChunkReader } from './host-body.js';
import { Request } from './request.js';
import { Response } from './response.js';

export interface GuestFetch {
  fetch(input: unknown, init?: unknown): Promise<Response>;
  /** The host pulls a streamed request body by the id FetchHead.body gave it. */
  pullUpload(id: number): Promise<Uint8Array | null>;
  cancelUpload(id: number): void;
}

function responseOf(bridge: HostBridge, answer: FetchAnswer): Response {
  const response = new Response(answer.body === null ? null : hostBody(bridge, answer.body), {
    status: answer.status,
    statusText: answer.statusText,
    headers: answer.headers,
  });
  // A constructed Response has no URL; a fetched one says where it came from.
  Object.defineProperties(response, { url: { value: answer.url }, redirected: { value: answer.redirected } });
  return response;
}

export function createFetch(bridge: HostBridge): GuestFetch {
  const uploads = new Map<number, ChunkReader>();
  let nextUpload = 1;
  let nextFetch = 1;

  function upload(id: number, done: boolean): void {
    const reader = uploads.get(id);
    uploads.delete(id);
    if (!done) reader?.cancel();
  }

  async function fetch(input: unknown, init?: unknown): Promise<Response> {
    const request = new Request(input as Request, init as ConstructorParameters<typeof Request>[1]);
    const { signal } = request;
    signal.throwIfAborted();
    const content = takeContent(request);
    let body: FetchHead['body'] = null;
    if (content instanceof Uint8Array) {
      // A view would carry its whole buffer across; send only its bytes.
      body = content.byteLength === content.buffer.byteLength ? content : content.slice();
    } else if (content !== null) {
      body = nextUpload++;
      uploads.set(body, chunkReader(content));
    }
    const id = nextFetch++;
    const head: FetchHead = { url: request.url, method: request.method, headers: [...request.headers], body, redirect: request.redirect as FetchHead['redirect'] };
    let removeAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      removeAbort = addAbortAlgorithm(signal, () => {
        bridge.abortFetch(id);
        reject(signal.reason);
      });
    });
    try {
      const outcome = await Promise.race([bridge.fetch(id, head), aborted]);
      if (!outcome.ok) throw hostError(outcome);
      return responseOf(bridge, outcome.value);
    } catch (error) {
      if (typeof body === 'number') upload(body, false);
      throw error;
    } finally {
      removeAbort();
    }
  }

  return {
    fetch,
    async pullUpload(id) {
      const reader = uploads.get(id);
      if (!reader) return null;
      try {
        const chunk = await reader.read();
        if (chunk === null) upload(id, true);
        return chunk;
      } catch (error) {
        upload(id, true);
        throw error;
      }
    },
    cancelUpload(id) {
      upload(id, false);
    },
  };
}
