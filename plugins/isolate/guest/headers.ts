// Headers, per the WHATWG Fetch standard: case-insensitive names, combined values, set-cookie kept apart.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

export type HeadersInit = Headers | Iterable<Iterable<unknown>> | Record<string, unknown>;

function checkName(name: unknown): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers: ${JSON.stringify(text)} is not a valid header name`);
  return text.toLowerCase();
}

function checkValue(name: string, value: unknown): string {
  const text = String(value).replace(EDGE_WHITESPACE, '');
  if (BAD_VALUE.test(text)) throw new TypeError(`Headers: the value of ${name} holds a character a header cannot carry`);
  return text;
}

/** Module-private: Headers from a host's entries, whose names and values the host's own Headers already checked. */
export let headersFromHost: (entries: [string, string][]) => Headers;

/** Module-private: makes headers read-only (the standard's "immutable" guard), as on a fetched or error Response. */
export let freezeHeaders: (headers: Headers) => Headers;

class Headers {
  // Lowercased name → values in the order they were appended.
  readonly #map = new Map<string, string[]>();
  #immutable = false;

  constructor(init?: HeadersInit) {
    if (init === undefined || init === null) return;
    if (typeof init !== 'object') throw new TypeError('Headers: init must be an object, an iterable of pairs or a Headers');
    if (Symbol.iterator in init) {
      for (const pair of init as Iterable<Iterable<unknown>>) {
        const entry = [...pair];
        if (entry.length !== 2) throw new TypeError('Headers: each init pair must have exactly a name and a value');
        this.append(entry[0], entry[1]);
      }
    } else {
      for (const key of Object.keys(init)) this.append(key, (init as Record<string, unknown>)[key]);
    }
  }

  append(name: unknown, value: unknown): void {
    this.#checkMutable();
    const key = checkName(name);
    const text = checkValue(key, value);
    const values = this.#map.get(key);
    if (values) values.push(text);
    else this.#map.set(key, [text]);
  }

  set(name: unknown, value: unknown): void {
    this.#checkMutable();
    const key = checkName(name);
    this.#map.set(key, [checkValue(key, value)]);
  }

  delete(name: unknown): void {
    this.#checkMutable();
    this.#map.delete(checkName(name));
  }

  get(name: unknown): string | null {
    return this.#map.get(checkName(name))?.join(', ') ?? null;
  }

  getSetCookie(): string[] {
    return [...(this.#map.get('set-cookie') ?? [])];
  }

  has(name: unknown): boolean {
    return this.#map.has(checkName(name));
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.#map.keys()].sort()) {
      const values = this.#map.get(name);
      if (!values) continue;
      if (name === 'set-cookie') for (const value of values) yield [name, value];
      else yield [name, values.join(', ')];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  #checkMutable(): void {
    if (this.#immutable) throw new TypeError('Headers: these headers are immutable');
  }

  static {
    headersFromHost = (entries) => {
      const headers = new Headers();
      for (const [name, value] of entries) {
        const values = headers.#map.get(name);
        if (values) values.push(value);
        else headers.#map.set(name, [value]);
      }
      return headers;
    };
    freezeHeaders = (headers) => {
      headers.#immutable = true;
      return headers;
    };
  }
}

export { Headers };
