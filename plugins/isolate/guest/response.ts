// Response, per the WHATWG Fetch standard, with its json/redirect/error constructors.
import { Body, extractBody, setContent, type BodyContent } from './body.js';
import { freezeHeaders, Headers, type HeadersInit } from './headers.js';
import { URL } from './url.js';

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

/**
 * Module-private, for fetch(): marks a Response as the answer to a fetch, with the URLs it went through (redirects
 * included), and makes its headers immutable, as the standard's fetched responses are.
 */
export let markFetched: (response: Response, urlList: string[]) => Response;

class Response extends Body {
  #status: number;
  readonly #statusText: string;
  readonly #headers: Headers;
  #type: 'default' | 'error' = 'default';
  #urlList: string[] = [];

  constructor(body: unknown = null, init: ResponseInit | null = {}) {
    super();
    if (init !== null && init !== undefined && typeof init !== 'object') throw new TypeError('Response: init must be an object');
    init ??= {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response: status ${String(init.status)} is not a whole number in 200..599`);
    }
    const statusText = init.statusText === undefined ? '' : String(init.statusText);
    if (!REASON_PHRASE.test(statusText)) throw new TypeError('Response: statusText holds a character a reason phrase cannot carry');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    let content: BodyContent = null;
    if (body !== null && body !== undefined) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response: a ${status} response cannot have a body`);
      const extracted = extractBody(body);
      content = extracted.content;
      if (extracted.contentType && !this.#headers.has('content-type')) this.#headers.set('content-type', extracted.contentType);
    }
    setContent(this, content);
  }

  static json(data: unknown, init: ResponseInit = {}): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data cannot be serialized as JSON');
    const headers = new Headers(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(text, { ...init, headers });
  }

  static redirect(url: unknown, status = 302): Response {
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
    const response = new Response(null, { status, headers: { location: new URL(String(url)).href } });
    freezeHeaders(response.#headers);
    return response;
  }

  static error(): Response {
    const response = new Response(null, { status: 200 });
    response.#status = 0;
    response.#type = 'error';
    freezeHeaders(response.#headers);
    return response;
  }

  get status(): number {
    return this.#status;
  }
  get statusText(): string {
    return this.#statusText;
  }
  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }
  get headers(): Headers {
    return this.#headers;
  }
  get type(): string {
    return this.#type;
  }
  get url(): string {
    return this.#urlList.at(-1) ?? '';
  }
  get redirected(): boolean {
    return this.#urlList.length > 1;
  }

  clone(): Response {
    if (this.#type === 'error') return Response.error();
    const copy = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
    setContent(copy, this.cloneContent());
    if (this.#urlList.length) markFetched(copy, this.#urlList);
    return copy;
  }

  get [Symbol.toStringTag](): string {
    return 'Response';
  }

  static {
    markFetched = (response, urlList) => {
      response.#urlList = [...urlList];
      freezeHeaders(response.#headers);
      return response;
    };
  }
}

export { Response };
