// Responses whose whole body is known as bytes: built lazily, and written by adapters in one go.
//
// An undici Response costs its constructor, a Headers and a ReadableStream, and reading its body a reader and several
// promise turns: a large share of a small request's time on the host. A response made here is a Response in every
// way (`instanceof`, every property and method) that keeps status, header pairs and bytes as plain values until
// someone reads anything else; then it builds the undici Response, which from then on is the truth. text(), json()
// and arrayBuffer() read the bytes directly.

/** What an adapter writes for a complete response: status line, header pairs (lowercase names), and the bytes. */
export interface ResponseParts {
  status: number;
  statusText: string;
  headers: readonly (readonly [string, string])[];
  bytes: Uint8Array;
}

import { forwardToReal } from './lazy-request.js';

/** RFC 9110 token: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value, once stripped of surrounding whitespace as Headers does, may not hold NUL, CR, LF or non-Latin-1. */
const BAD_VALUE = /[\0\r\n\u0100-\uffff]/;
/** HTTP whitespace, which Headers strips from both ends of a value. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
/** RFC 9112 reason-phrase: HTAB, SP, VCHAR, obs-text. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Statuses whose responses have no body (the Fetch standard's null body status). */
const NULL_BODY = new Set([204, 205, 304]);

/** A header pair as Headers would store it, or the TypeError Headers would throw. */
function headerPair(name: string, value: string): [string, string] {
  if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
  const clean = isSpace(value.charCodeAt(0)) || isSpace(value.charCodeAt(value.length - 1)) ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '') : value;
  if (BAD_VALUE.test(clean)) throw new TypeError(`invalid value for header ${name}`);
  return [name.toLowerCase(), clean];
}

function pairsOf(init: HeadersInit | undefined): [string, string][] {
  if (!init) return [];
  const entries = Array.isArray(init) ? init : init instanceof Headers ? [...init] : Object.entries(init);
  return entries.map((entry) => {
    if (entry.length !== 2) throw new TypeError('a header must be a [name, value] pair');
    return headerPair(String(entry[0]), String(entry[1]));
  });
}

const decoder = new TextDecoder();

/** Its internals are reached through static members, so a bytes response shows nothing a Response does not have. */
class BytesResponse {
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: [string, string][];
  readonly #bytes: Uint8Array;
  #real?: Response;
  /** Read by text(), json() or arrayBuffer() while nothing built the real response. */
  #used = false;

  constructor(bytes: Uint8Array, init: ResponseInit) {
    const status = init.status ?? 200;
    const statusText = init.statusText ?? '';
    // The checks `new Response()` makes, so a response that could not be built fails here, not while being written.
    if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`status ${status} is not in the range 200 to 599`);
    if (NULL_BODY.has(status)) throw new TypeError(`a response with status ${status} cannot have a body`);
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = pairsOf(init.headers);
    this.#bytes = bytes;
  }

  /** The undici Response, built on first need (its body read already, if this one's was). */
  static real(response: BytesResponse): Response {
    if (response.#real) return response.#real;
    const real = (response.#real = new Response(response.#bytes as BodyInit, { status: response.#status, statusText: response.#statusText, headers: response.#headers }));
    if (response.#used) real.arrayBuffer().catch(() => undefined);
    return real;
  }

  /** The body's bytes, read once: what the body readers share, without building the real response. */
  static consume(response: BytesResponse): Promise<Uint8Array> {
    if (response.#real) return response.#real.arrayBuffer().then((buffer) => new Uint8Array(buffer));
    if (response.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    response.#used = true;
    return Promise.resolve(response.#bytes);
  }

  /** Parts for a writer while nothing built the real response; `undefined` after. */
  static parts(response: BytesResponse): ResponseParts | undefined {
    if (response.#used) return undefined;
    const real = response.#real;
    if (!real) return { status: response.#status, statusText: response.#statusText, headers: response.#headers, bytes: response.#bytes };
    // Built, but its body unread: the bytes still are the body; the status and headers are the real one's.
    return real.bodyUsed ? undefined : { status: real.status, statusText: real.statusText, headers: [...real.headers], bytes: response.#bytes };
  }

  /** `headers.set(name, value)`: on the pairs while nothing built the real response, else on the real one. */
  static set(response: BytesResponse, name: string, value: string): void {
    if (response.#real) return response.#real.headers.set(name, value);
    const pair = headerPair(name, value);
    const headers = response.#headers;
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === pair[0]) headers.splice(i, 1);
    headers.push(pair);
  }

  get status(): number {
    return this.#status;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get ok(): boolean {
    return this.#status < 300;
  }

  get type(): ResponseType {
    return 'default';
  }

  get url(): string {
    return '';
  }

  get redirected(): boolean {
    return false;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#real?.bodyUsed ?? false);
  }

  // The body readers most callers use (runtime.fetch() and then text()), without the undici Response and its stream.
  text(): Promise<string> {
    return BytesResponse.consume(this).then((bytes) => decoder.decode(bytes));
  }

  json(): Promise<unknown> {
    return this.text().then((text) => JSON.parse(text) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return BytesResponse.consume(this).then((bytes) => bytes.slice().buffer);
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return `${inspect(BytesResponse.real(this), options)} (lazy)`;
  }
}

// Everything else (headers, body, the body readers, clone, undici's internal slots) reads the real response.
forwardToReal(BytesResponse.prototype, Response.prototype, new Response(''), BytesResponse.real);

/** `new Response(bytes, init)`, built lazily; throws what that constructor would throw. */
export function bytesResponse(bytes: Uint8Array, init: ResponseInit = {}): Response {
  return new BytesResponse(bytes, init) as unknown as Response;
}

/** Status, headers and bytes of a response made by `bytesResponse` whose body nobody read; else `undefined` (stream it). */
export function responseParts(response: Response): ResponseParts | undefined {
  return response instanceof BytesResponse ? BytesResponse.parts(response) : undefined;
}

/** `response.headers.set(name, value)`, without building a lazy response. Throws like Headers on immutable headers. */
export function setHeader(response: Response, name: string, value: string): void {
  if (response instanceof BytesResponse) BytesResponse.set(response, name, value);
  else response.headers.set(name, value);
}
