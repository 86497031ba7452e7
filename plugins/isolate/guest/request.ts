// Request, per the WHATWG Fetch standard, with every field; the browser-only ones are kept and validated, not acted on.
import { AbortSignal, anySignal } from './abort.js';
import { Body, extractBody, setContent, takeContent, type BodyContent } from './body.js';
import { Headers, headersFromHost, type HeadersInit } from './headers.js';
import { ReadableStream } from './streams.js';
import { URL } from './url.js';

const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const MODES = ['same-origin', 'no-cors', 'cors'] as const;
const CREDENTIALS = ['omit', 'same-origin', 'include'] as const;
const CACHES = ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'] as const;
const REDIRECTS = ['follow', 'error', 'manual'] as const;
const REFERRER_POLICIES = [
  '',
  'no-referrer',
  'no-referrer-when-downgrade',
  'same-origin',
  'origin',
  'strict-origin',
  'origin-when-cross-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
] as const;

export interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: unknown;
  redirect?: (typeof REDIRECTS)[number];
  signal?: AbortSignal | null;
  cache?: (typeof CACHES)[number];
  credentials?: (typeof CREDENTIALS)[number];
  integrity?: string;
  keepalive?: boolean;
  mode?: (typeof MODES)[number];
  referrer?: string;
  referrerPolicy?: (typeof REFERRER_POLICIES)[number];
  duplex?: 'half';
  priority?: 'high' | 'low' | 'auto';
  window?: null;
}

function normalizeMethod(method: unknown): string {
  const text = String(method);
  if (!TOKEN.test(text)) throw new TypeError(`Request: ${JSON.stringify(text)} is not a valid method`);
  const upper = text.toUpperCase();
  if (FORBIDDEN.has(upper)) throw new TypeError(`Request: the method ${upper} is forbidden`);
  return NORMALIZED.has(upper) ? upper : text;
}

function member<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const text = String(value);
  if (!allowed.includes(text as T)) throw new TypeError(`Request: ${name} ${JSON.stringify(text)} is not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  return text as T;
}

function parseReferrer(value: unknown): string {
  const text = String(value);
  if (text === '') return '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Request: the referrer ${JSON.stringify(text)} is not an absolute URL`);
  }
  return url.href === 'about:client' ? 'about:client' : url.href;
}

// Set only while requestFromHost() constructs: the URL is then the host's, already parsed and serialized.
let fromHost = false;

function parseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Request: ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.username || parsed.password) throw new TypeError('Request: a URL with credentials cannot be requested');
  return parsed.href;
}

class Request extends Body {
  readonly #url: string;
  readonly #method: string;
  readonly #headers: Headers;
  readonly #signal: AbortSignal;
  readonly #redirect: string;
  readonly #cache: string;
  readonly #credentials: string;
  readonly #integrity: string;
  readonly #keepalive: boolean;
  readonly #mode: string;
  readonly #referrer: string;
  readonly #referrerPolicy: string;

  constructor(input: Request | string | URL, init: RequestInit | null = {}) {
    super();
    // Read and cleared first: app code the constructor may reach (a Symbol.hasInstance, say) makes untrusted Requests.
    const trusted = fromHost;
    fromHost = false;
    if (arguments.length === 0) throw new TypeError('Request: 1 argument required, but only 0 present');
    if (init !== null && typeof init !== 'object' && init !== undefined) throw new TypeError('Request: init must be an object');
    const options: RequestInit = init ?? {};
    const from = input instanceof Request ? input : null;
    const url = from ? from.url : String(input);
    this.#url = trusted ? url : parseUrl(url);
    if (options.window !== undefined && options.window !== null) throw new TypeError('Request: window can only be null');
    this.#method = options.method !== undefined ? normalizeMethod(options.method) : (from?.method ?? 'GET');
    if (options.mode === ('navigate' as string)) throw new TypeError('Request: the mode "navigate" cannot be set');
    this.#mode = member('mode', options.mode, MODES, (from?.mode as (typeof MODES)[number]) ?? 'cors');
    this.#credentials = member('credentials', options.credentials, CREDENTIALS, (from?.credentials as (typeof CREDENTIALS)[number]) ?? 'same-origin');
    this.#cache = member('cache', options.cache, CACHES, (from?.cache as (typeof CACHES)[number]) ?? 'default');
    if (this.#cache === 'only-if-cached' && this.#mode !== 'same-origin') throw new TypeError('Request: cache "only-if-cached" needs mode "same-origin"');
    this.#redirect = member('redirect', options.redirect, REDIRECTS, (from?.redirect as (typeof REDIRECTS)[number]) ?? 'follow');
    this.#referrerPolicy = member('referrerPolicy', options.referrerPolicy, REFERRER_POLICIES, (from?.referrerPolicy as (typeof REFERRER_POLICIES)[number]) ?? '');
    this.#referrer = options.referrer !== undefined ? parseReferrer(options.referrer) : (from?.referrer ?? 'about:client');
    this.#integrity = options.integrity !== undefined ? String(options.integrity) : (from?.integrity ?? '');
    this.#keepalive = options.keepalive !== undefined ? Boolean(options.keepalive) : (from?.keepalive ?? false);
    if (options.duplex !== undefined && options.duplex !== 'half') throw new TypeError('Request: duplex can only be "half"');

    const signal = options.signal !== undefined ? options.signal : (from?.signal ?? null);
    if (signal !== null && !(signal instanceof AbortSignal)) throw new TypeError('Request: signal must be an AbortSignal');
    // The request's own signal follows the one given, as the standard's "dependent signal".
    this.#signal = anySignal(signal ? [signal] : []);
    this.#headers = new Headers(options.headers ?? from?.headers);

    let content: BodyContent = null;
    if (options.body !== undefined && options.body !== null) {
      const extracted = extractBody(options.body);
      content = extracted.content;
      if (extracted.contentType && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.contentType);
    } else if (from) {
      content = takeContent(from);
    }
    if (content !== null && (this.#method === 'GET' || this.#method === 'HEAD')) {
      throw new TypeError(`Request: a ${this.#method} request cannot have a body`);
    }
    if (content instanceof ReadableStream && this.#keepalive) throw new TypeError('Request: a keepalive request cannot have a stream body');
    setContent(this, content);
  }

  get url(): string {
    return this.#url;
  }
  get method(): string {
    return this.#method;
  }
  get headers(): Headers {
    return this.#headers;
  }
  get signal(): AbortSignal {
    return this.#signal;
  }
  get redirect(): string {
    return this.#redirect;
  }
  get cache(): string {
    return this.#cache;
  }
  get credentials(): string {
    return this.#credentials;
  }
  get destination(): string {
    return '';
  }
  get integrity(): string {
    return this.#integrity;
  }
  get keepalive(): boolean {
    return this.#keepalive;
  }
  get mode(): string {
    return this.#mode;
  }
  get referrer(): string {
    return this.#referrer;
  }
  get referrerPolicy(): string {
    return this.#referrerPolicy;
  }
  get duplex(): string {
    return 'half';
  }
  get isReloadNavigation(): boolean {
    return false;
  }
  get isHistoryNavigation(): boolean {
    return false;
  }

  clone(): Request {
    if (this.bodyUsed) throw new TypeError('clone: the body has already been used');
    const copy = new Request(this.#url, {
      method: this.#method,
      headers: this.#headers,
      signal: this.#signal,
      redirect: this.#redirect as RequestInit['redirect'],
      cache: this.#cache as RequestInit['cache'],
      credentials: this.#credentials as RequestInit['credentials'],
      integrity: this.#integrity,
      keepalive: this.#keepalive,
      mode: this.#mode as RequestInit['mode'],
      referrer: this.#referrer,
      referrerPolicy: this.#referrerPolicy as RequestInit['referrerPolicy'],
    });
    setContent(copy, this.cloneContent());
    return copy;
  }

  get [Symbol.toStringTag](): string {
    return 'Request';
  }
}

/**
 * Module-private, for dispatch: the Request for a host request head. Its URL was serialized by the host's WHATWG
 * URL parser (Node's, which refuses credentials), and its headers were validated and lowercased by the host's
 * Headers, so neither is parsed again: URL parsing was most of a request's guest CPU (see docs/compat.md).
 */
export function requestFromHost(url: string, method: string, headers: [string, string][], body: ReadableStream<Uint8Array> | null): Request {
  const init = { method, headers: headersFromHost(headers), body };
  fromHost = true;
  return new Request(url, init);
}

export { Request };
