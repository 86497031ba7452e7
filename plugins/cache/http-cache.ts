// The standard Cache API (caches.default, caches.open) for one app: match, put and delete over the app's cache entries.
import CachePolicy from 'http-cache-semantics';
import { ErrorCode, HangarError } from '../../core/errors.js';
import type { CacheBackend } from './backend.js';
import type { StoreGuard } from './guard.js';
import type { ReadBudget } from './read-budget.js';
import { answer, type ResponseData } from './http-match.js';
import { SearchIndex, splitSearch } from './http-search.js';
import { entryKey } from './keys.js';
import { checkKey, checkValueSize, type CacheLimits } from './validate.js';

/** A request as plain data (the isolate sends this shape). */
export interface RequestData {
  url: string;
  method: string;
  headers: Array<[string, string]>;
}

export interface MatchOptions {
  ignoreMethod?: boolean;
  ignoreVary?: boolean;
  ignoreSearch?: boolean;
}

/** One stored response for a URL; a URL holds several when its responses `Vary`. */
interface Variant {
  /** http-cache-semantics' policy, which knows the response's freshness. */
  p: CachePolicy.CachePolicyObject;
  /** The request header values this variant was stored for, one per field its Vary names. */
  v: Array<[string, string | null]>;
  s: number;
  st: string;
  h: Array<[string, string]>;
  /** The body, base64. */
  b: string;
}

/** Older variants beyond this many per URL are dropped, so a header that varies wildly cannot grow one entry forever. */
const MAX_VARIANTS = 16;

function badRequest(message: string): HangarError {
  return new HangarError(ErrorCode.BAD_REQUEST, message);
}

/** The URL a request is cached under: http(s) only, without its fragment (as the spec says). */
function cacheUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`Cache: ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw badRequest(`Cache: only http and https URLs can be cached, not ${parsed.protocol}`);
  parsed.hash = '';
  return parsed.toString();
}

function lowerHeaders(headers: Array<[string, string]>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    map.set(key, map.has(key) ? `${map.get(key)}, ${value}` : value);
  }
  return map;
}

/**
 * The request as http-cache-semantics sees it. The request's own Cache-Control and Pragma are left out: they are
 * the client's wishes about its caches, while the Cache API is an explicit store whose freshness is the response's.
 */
function policyRequest(url: string, headers: Map<string, string>): CachePolicy.HttpRequest {
  const record: Record<string, string> = { host: new URL(url).host };
  for (const [name, value] of headers) if (name !== 'cache-control' && name !== 'pragma' && name !== 'host') record[name] = value;
  return { url, method: 'GET', headers: record };
}

function varyFields(headers: Map<string, string>): string[] {
  const vary = headers.get('vary');
  return vary ? vary.split(',').map((field) => field.trim().toLowerCase()).filter(Boolean) : [];
}

function varyMatches(variant: Variant, requestHeaders: Map<string, string>): boolean {
  return variant.v.every(([field, value]) => (requestHeaders.get(field) ?? null) === value);
}

export class HttpCache {
  private readonly searchIndex: SearchIndex;

  constructor(
    private readonly app: string,
    /** `undefined` for caches.default. */
    private readonly name: string | undefined,
    private readonly backend: CacheBackend,
    private readonly limits: CacheLimits,
    private readonly guard: StoreGuard,
    /** The app's read budget, shared with its tenant cache. */
    private readonly budget: ReadBudget,
  ) {
    this.searchIndex = new SearchIndex(app, backend, guard);
  }

  private key(url: string): string {
    return entryKey('h', this.app, this.name === undefined ? `d:${url}` : `n${this.name.length}:${this.name}:${url}`);
  }

  /** The stored variants of the responses under `keys`, in the keys' order (one read for all). */
  private async variants(keys: string[]): Promise<Variant[]> {
    const entries = await this.guard.run('a Cache API read', () => this.backend.read(keys, this.budget), keys.map(() => undefined));
    return entries.flatMap((entry) => {
      if (!entry) return [];
      try {
        return JSON.parse(entry.v) as Variant[];
      } catch {
        return [];
      }
    });
  }

  /**
   * The keys of the responses a request reaches: its URL's, or with `ignoreSearch` those of every query stored for
   * its URL without the query (the exact URL first, then the most recently stored), and the key of that index.
   */
  private async keysFor(url: string, ignoreSearch: boolean | undefined): Promise<{ keys: string[]; indexKey?: string }> {
    if (!ignoreSearch) return { keys: [this.key(url)] };
    const { base } = splitSearch(url);
    const indexKey = SearchIndex.key(this.key(base));
    const searches = (await this.searchIndex.searches(indexKey)).reverse();
    return { keys: [...new Set([url, base, ...searches.map((search) => base + search)].map((each) => this.key(each)))], indexKey };
  }

  /** The fresh stored response for the request, answered as the request asks (304, 206), or undefined. */
  async matchData(request: RequestData, options: MatchOptions = {}): Promise<ResponseData | undefined> {
    if (!options.ignoreMethod && request.method.toUpperCase() !== 'GET') return undefined;
    const url = cacheUrl(request.url);
    const headers = lowerHeaders(request.headers);
    for (const variant of await this.variants((await this.keysFor(url, options.ignoreSearch)).keys)) {
      const policy = CachePolicy.fromObject(variant.p);
      if (policy.stale() || (!options.ignoreVary && !varyMatches(variant, headers))) continue;
      const cached: ResponseData = { status: variant.s, statusText: variant.st, headers: Object.entries(policy.responseHeaders()) as Array<[string, string]>, body: Buffer.from(variant.b, 'base64') };
      return answer(new Headers(request.headers), cached);
    }
    return undefined;
  }

  /**
   * Stores a response for a GET request. Per the spec, other methods, 206 and `Vary: *` are errors; a response
   * that sets a cookie, or whose Cache-Control/Expires leave it no freshness, is quietly not stored.
   */
  async putData(request: RequestData, response: ResponseData): Promise<void> {
    if (request.method.toUpperCase() !== 'GET') throw badRequest(`Cache.put: only GET requests can be cached, not ${request.method}`);
    if (response.status === 206) throw badRequest('Cache.put: a 206 Partial Content response cannot be cached');
    const url = cacheUrl(request.url);
    const responseHeaders = lowerHeaders(response.headers);
    const fields = varyFields(responseHeaders);
    if (fields.includes('*')) throw badRequest('Cache.put: a response with Vary: * cannot be cached');
    checkValueSize(response.body.byteLength, this.limits);
    if (responseHeaders.has('set-cookie')) return;
    const requestHeaders = lowerHeaders(request.headers);
    const policy = new CachePolicy(policyRequest(url, requestHeaders), { status: response.status, headers: Object.fromEntries(responseHeaders) }, { shared: true });
    const ttl = policy.timeToLive();
    if (!policy.storable() || ttl <= 0) return;
    const variant: Variant = {
      p: policy.toObject(),
      v: fields.map((field) => [field, requestHeaders.get(field) ?? null]),
      s: response.status,
      st: response.statusText,
      h: [...responseHeaders],
      b: Buffer.from(response.body).toString('base64'),
    };
    const key = this.key(url);
    const now = Date.now();
    const kept = (await this.variants([key])).filter((old) => !CachePolicy.fromObject(old.p).stale() && !(old.v.length === variant.v.length && varyMatches(old, requestHeaders)));
    const variants = [...kept.slice(-(MAX_VARIANTS - 1)), variant];
    const expires = Math.max(...variants.map((stored) => now + CachePolicy.fromObject(stored.p).timeToLive()));
    const stored = await this.guard.run('a Cache API write', () => this.backend.write(this.app, key, { v: JSON.stringify(variants), x: expires }), false);
    const { base, search } = splitSearch(url);
    if (stored && search) await this.searchIndex.add(SearchIndex.key(this.key(base)), search, expires);
  }

  /** Deletes every stored response for the request's URL (with `ignoreSearch`, for every query of it); true when there was one. */
  async deleteData(request: RequestData, options: MatchOptions = {}): Promise<boolean> {
    if (!options.ignoreMethod && request.method.toUpperCase() !== 'GET') return false;
    const { keys, indexKey } = await this.keysFor(cacheUrl(request.url), options.ignoreSearch);
    const deleted = await this.guard.run('a Cache API delete', () => this.backend.remove(this.app, keys), false);
    if (indexKey) await this.guard.run('a Cache API delete', () => this.backend.remove(this.app, [indexKey]), false);
    return deleted;
  }

  async match(request: Request | string, options?: MatchOptions): Promise<Response | undefined> {
    const found = await this.matchData(requestData(request), options);
    return found && new Response(found.status === 304 ? null : (found.body as Uint8Array<ArrayBuffer>), { status: found.status, statusText: found.statusText, headers: found.headers });
  }

  async put(request: Request | string, response: Response): Promise<void> {
    if (response.bodyUsed) throw badRequest('Cache.put: the response body was already used');
    const data = requestData(request);
    await this.putData(data, { status: response.status, statusText: response.statusText, headers: [...response.headers], body: await readBody(response, this.limits) });
  }

  delete(request: Request | string, options?: MatchOptions): Promise<boolean> {
    return this.deleteData(requestData(request), options);
  }
}

/** caches: the app's default cache and its named ones. */
export class HttpCaches {
  readonly default: HttpCache;
  private readonly named = new Map<string, HttpCache>();

  constructor(
    private readonly app: string,
    private readonly backend: CacheBackend,
    private readonly limits: CacheLimits,
    private readonly guard: StoreGuard,
    private readonly budget: ReadBudget,
  ) {
    this.default = new HttpCache(app, undefined, backend, limits, guard, budget);
  }

  open(name: unknown): HttpCache {
    const checked = checkKey(name, this.limits, 'cache name');
    let cache = this.named.get(checked);
    if (!cache) this.named.set(checked, (cache = new HttpCache(this.app, checked, this.backend, this.limits, this.guard, this.budget)));
    return cache;
  }
}

function requestData(request: Request | string): RequestData {
  return typeof request === 'string' ? { url: request, method: 'GET', headers: [] } : { url: request.url, method: request.method, headers: [...request.headers] };
}

/** Reads a body, refusing it as soon as it passes the value limit (a body without a length is not trusted to be small). */
async function readBody(response: Response, limits: CacheLimits): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  checkValueSize(declared, limits);
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limits.cacheValueBytes) {
      await reader.cancel();
      checkValueSize(total, limits);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
