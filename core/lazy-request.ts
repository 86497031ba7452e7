// Requests whose undici objects (Request, Headers, URL, AbortSignal) are built only when someone reads them.
//
// Most requests only need their method, URL and header list, which an adapter already has as strings; building the
// WHATWG objects for them was a large share of the host's time per request. A lazy request is still a Request
// (`instanceof`, every property and method, `new Request(lazy)`): the first read of anything else builds the real
// one, which from then on is the truth.

/** A request URL taken apart, as `new URL(href)` would: `hostname` lowercase, `search` '' for an empty query. */
export interface UrlParts {
  href: string;
  hostname: string;
  pathname: string;
  search: string;
}

/** What an adapter knows about a request without building undici objects. */
export interface RequestSource {
  method: string;
  url: UrlParts;
  /** The header list: lowercase names, in arrival order; called at most once. */
  headers(): [string, string][];
  /** True when the request carries a body; `body()` is then called once, when someone reads it. */
  hasBody: boolean;
  body(): ReadableStream<Uint8Array>;
  /** The request's signal, called once, when someone reads it. */
  signal(): AbortSignal;
}

/** Its internals are reached through static members, so a lazy request shows nothing a Request does not have. */
class LazyRequest {
  readonly #source: RequestSource;
  #headers?: [string, string][];
  #real?: Request;

  constructor(source: RequestSource) {
    this.#source = source;
  }

  /** The undici Request, built on first need. */
  static real(request: LazyRequest): Request {
    let real = request.#real;
    if (!real) {
      const source = request.#source;
      const body = source.hasBody ? source.body() : null;
      const init = { method: source.method, headers: LazyRequest.pairs(request), body, signal: source.signal(), ...(body ? { duplex: 'half' } : {}) };
      real = request.#real = new Request(source.url.href, init as RequestInit);
    }
    return real;
  }

  static built(request: LazyRequest): boolean {
    return request.#real !== undefined;
  }

  static pairs(request: LazyRequest): [string, string][] {
    return (request.#headers ??= request.#source.headers());
  }

  static urlParts(request: LazyRequest): UrlParts {
    return request.#source.url;
  }

  get method(): string {
    return this.#source.method;
  }

  get url(): string {
    return this.#source.url.href;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#real || this.#source.hasBody ? LazyRequest.real(this).body : null;
  }

  get bodyUsed(): boolean {
    return this.#real?.bodyUsed ?? false;
  }

  [Symbol.for('nodejs.util.inspect.custom')](depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return `${inspect(LazyRequest.real(this), options)} (lazy)`;
  }
}

/**
 * Makes `proto` (a lazy stand-in's prototype) forward what it does not define itself to the real object: the getters
 * and methods of `base` (Request.prototype, Response.prototype), and undici's internal slots, kept under the symbols a
 * `sample` instance has, which `new Request(lazy)` and its like read from their input. Then chains it to `base`.
 */
export function forwardToReal<T extends object>(proto: object, base: T, sample: T, real: (self: never) => T): void {
  for (const name of Object.getOwnPropertyNames(base)) {
    if (name === 'constructor') {
      // `lazy.constructor` is Request (or Response), as it is for the real one.
      Object.defineProperty(proto, name, { configurable: true, writable: true, value: Reflect.get(base, name) });
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(base, name)!;
    const { enumerable } = descriptor;
    // undici makes its members enumerable: `for (key in lazy)` lists what `for (key in real)` lists.
    if (Object.hasOwn(proto, name)) Object.defineProperty(proto, name, { enumerable });
    else if (descriptor.get) {
      Object.defineProperty(proto, name, { configurable: true, enumerable, get() { return Reflect.get(real(this as never), name); } });
    } else if (typeof descriptor.value === 'function') {
      Object.defineProperty(proto, name, {
        configurable: true,
        enumerable,
        writable: true,
        value(this: never, ...args: unknown[]) {
          const target = real(this);
          return (Reflect.get(target, name) as (...a: unknown[]) => unknown).apply(target, args);
        },
      });
    }
  }
  for (const slot of Object.getOwnPropertySymbols(sample)) {
    Object.defineProperty(proto, slot, { configurable: true, get() { return Reflect.get(real(this as never), slot); } });
  }
  Object.setPrototypeOf(proto, base);
}

// Everything else of Request.prototype reads the real request.
forwardToReal(LazyRequest.prototype, Request.prototype, new Request('http://lazy.invalid/'), LazyRequest.real);

/** Whether `new Request(lazy)` works on this Node's undici; where it does not, adapters build requests eagerly. */
export const lazyRequestsWork = ((): boolean => {
  try {
    const probe = lazyRequest({
      method: 'POST',
      url: { href: 'http://lazy.invalid/', hostname: 'lazy.invalid', pathname: '/', search: '' },
      headers: () => [['x-probe', '1']],
      hasBody: false,
      body: () => new ReadableStream(),
      signal: () => new AbortController().signal,
    });
    const copy = new Request(probe);
    return copy.method === 'POST' && copy.headers.get('x-probe') === '1';
  } catch {
    return false;
  }
})();

/** A Request made from what an adapter knows; undici objects are built when something reads them. */
export function lazyRequest(source: RequestSource): Request {
  return new LazyRequest(source) as unknown as Request;
}

/** The undici Request behind a lazy request (built now if it was not); any other request as it is. */
export function builtRequest(request: Request): Request {
  return request instanceof LazyRequest ? LazyRequest.real(request) : request;
}

function unbuilt(request: Request): LazyRequest | undefined {
  return request instanceof LazyRequest && !LazyRequest.built(request) ? request : undefined;
}

/** The request's header list as [name, value] pairs, lowercase names; shared, so callers must not change it. */
export function headerPairs(request: Request): [string, string][] {
  const lazy = unbuilt(request);
  return lazy ? LazyRequest.pairs(lazy) : [...request.headers];
}

/** `request.headers.get(name)` (`name` lowercase), without building Headers for a lazy request. */
export function headerValue(request: Request, name: string): string | null {
  const lazy = unbuilt(request);
  if (!lazy) return request.headers.get(name);
  let value: string | null = null;
  for (const [key, item] of LazyRequest.pairs(lazy)) if (key === name) value = value === null ? item : `${value}, ${item}`;
  return value;
}

const parsed = new WeakMap<Request, UrlParts>();

/** The request's URL taken apart: known without parsing for a lazy request, else parsed once per request. */
export function urlParts(request: Request): UrlParts {
  if (request instanceof LazyRequest) return LazyRequest.urlParts(request);
  let parts = parsed.get(request);
  if (!parts) {
    const { href, hostname, pathname, search } = new URL(request.url);
    parsed.set(request, (parts = { href, hostname, pathname, search }));
  }
  return parts;
}
