// The host side of an app's fetch(): SSRF-guarded outbound requests, counted against the requests in flight.
import { ErrorCode, HangarError } from '../../core/errors.js';
import { outboundFetch } from '../../core/outbound.js';
import type { HostBodies } from './host-bodies.js';
import type { IsolateLimits } from './limits.js';
import type { FetchAnswer, FetchHead } from './protocol.js';
import type { RequestScope } from './request-scope.js';

export interface HostFetchOptions {
  app: string;
  limits: IsolateLimits['fetch'];
  bodies: HostBodies;
  /** The requests the isolate is serving now; a fetch is counted against each. */
  scopes(): RequestScope[];
  /** A host stream of a body the guest uploads, pulled from the guest by id. */
  upload(id: number): ReadableStream<Uint8Array>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** As in the Fetch standard. */
const MAX_REDIRECTS = 20;
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

export class HostFetch {
  /** The in-flight fetches, by the guest's id, so the app's AbortSignal can end them. */
  private readonly aborts = new Map<number, AbortController>();

  constructor(private readonly options: HostFetchOptions) {}

  async fetch(id: number, head: FetchHead): Promise<FetchAnswer> {
    const scopes = this.options.scopes();
    if (scopes.length === 0) {
      throw new TypeError('fetch() can only be called while the app handles a request (or in its waitUntil work), not at startup or from a stray timer');
    }
    const abort = new AbortController();
    this.aborts.set(id, abort);
    try {
      return await this.follow(head, scopes, abort.signal);
    } finally {
      this.aborts.delete(id);
    }
  }

  abort(id: number): void {
    this.aborts.get(id)?.abort();
  }

  /** The isolate is going: its fetches are of no use to anyone. */
  abortAll(): void {
    for (const abort of this.aborts.values()) abort.abort();
  }

  /**
   * Redirects are followed here, one guarded fetch per hop, because outboundFetch checks only the first URL's literal
   * address: a redirect to http://127.0.0.1/ must meet the same guard.
   */
  private async follow(head: FetchHead, scopes: RequestScope[], signal: AbortSignal): Promise<FetchAnswer> {
    const { limits, bodies } = this.options;
    const depth = Math.max(...scopes.map((scope) => scope.depth)) + 1;
    let url = head.url;
    let method = head.method;
    const headers = new Headers(head.headers);
    let body: Uint8Array | ReadableStream<Uint8Array> | null = typeof head.body === 'number' ? this.options.upload(head.body) : head.body;
    for (let hop = 0; ; hop++) {
      this.count(scopes);
      const request = new Request(url, { method, headers, body, duplex: 'half' } as RequestInit);
      const response = await outboundFetch(request, { allowHosts: limits.allowHosts, timeoutMs: limits.timeoutMs, depth, signal });
      const location = response.headers.get('location');
      if (head.redirect === 'manual' || !REDIRECTS.has(response.status) || location === null) {
        const hasBody = response.body !== null && !NULL_BODY.has(response.status) && method !== 'HEAD';
        if (!hasBody) await response.body?.cancel();
        let bodyId: number | null = null;
        if (hasBody) {
          bodyId = bodies.registerResponse(response.body!, scopes.length);
          for (const scope of scopes) scope.hold(bodyId);
        }
        return { status: response.status, statusText: response.statusText, headers: [...response.headers], url, redirected: hop > 0, body: bodyId };
      }
      await response.body?.cancel();
      if (head.redirect === 'error') throw new TypeError(`fetch: ${url} redirected, and the request's redirect mode is "error"`);
      if (hop + 1 >= MAX_REDIRECTS) throw new TypeError(`fetch: ${head.url} redirected more than ${MAX_REDIRECTS} times`);
      url = new URL(location, url).href;
      if (response.status === 303 ? method !== 'GET' && method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST') {
        method = 'GET';
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      } else if (body instanceof ReadableStream) {
        throw new TypeError(`fetch: ${head.url} redirected with ${response.status}, and a streamed request body cannot be sent again`);
      }
    }
  }

  /** A fetch is counted against every request in flight: the isolate cannot tell which of them made it. */
  private count(scopes: RequestScope[]): void {
    const { app, limits } = this.options;
    for (const scope of scopes) {
      if (++scope.subrequests > limits.subrequests) {
        throw new HangarError(ErrorCode.LIMIT_SUBREQUESTS, `app ${app} made more than ${limits.subrequests} fetch() calls while handling one request (limits.subrequests)`, {
          details: { app, limit: limits.subrequests },
        });
      }
    }
  }
}
