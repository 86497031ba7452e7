// The cache bindings an app's isolate gets: env.CACHE, the `hangar:cache` module and the `caches` global.
import type { AppBinding } from '../../core/bindings.js';
import { ErrorCode, HangarError } from '../../core/errors.js';
import { CACHES_GUEST, TENANT_CACHE_GUEST } from './guest.js';
import type { HttpCaches, MatchOptions, RequestData } from './http-cache.js';
import type { ResponseData } from './http-match.js';
import type { TenantCache } from './tenant-cache.js';

/** The specifier apps import the tenant cache by; the edge builder maps it to the global of the same name. */
export const CACHE_MODULE = 'hangar:cache';

/** The tenant cache methods apps may call; nothing else of the TenantCache object is reachable. */
const TENANT_METHODS = ['get', 'getString', 'getMulti', 'getMultiString', 'set', 'expire', 'ttl', 'del', 'setTags', 'purgeTag'] as const;

function tenantMethods(cache: TenantCache): AppBinding['methods'] {
  return Object.fromEntries(TENANT_METHODS.map((name) => [name, (cache[name] as (...given: unknown[]) => Promise<unknown>).bind(cache)]));
}

/**
 * `env.CACHE` is the primary way in: it is the binding model every edge platform uses (per-app values handed to the
 * handler, nothing global to stub in tests, no build step involved). The `hangar:cache` import is the same object
 * for code that has no `env` at hand (module top level, helpers), and needs the edge builder's mapping.
 */
export function tenantCacheBindings(cache: TenantCache): AppBinding[] {
  const methods = tenantMethods(cache);
  return [
    { name: 'CACHE', methods, guest: TENANT_CACHE_GUEST },
    { name: CACHE_MODULE, scope: 'global', methods, guest: TENANT_CACHE_GUEST },
  ];
}

export function cachesBinding(caches: HttpCaches): AppBinding {
  const cache = (name: unknown) => (name === null ? caches.default : caches.open(name));
  return {
    name: 'caches',
    scope: 'global',
    methods: {
      match: async (name, request, options) => plain(await cache(name).matchData(requestData(request), matchOptions(options))),
      put: async (name, request, response) => cache(name).putData(requestData(request), responseData(response)),
      delete: async (name, request, options) => cache(name).deleteData(requestData(request), matchOptions(options)),
    },
    guest: CACHES_GUEST,
  };
}

// What crosses the bridge comes from app code: it is checked here, whatever the guest wrapper promised.

function bad(what: string): HangarError {
  return new HangarError(ErrorCode.BAD_REQUEST, `Cache API: ${what}`);
}

function headerList(value: unknown): Array<[string, string]> {
  if (!Array.isArray(value) || !value.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string')) {
    throw bad('headers must be a list of [name, value] strings');
  }
  return value as Array<[string, string]>;
}

function requestData(value: unknown): RequestData {
  const given = (value ?? {}) as Partial<RequestData>;
  if (typeof given.url !== 'string' || typeof given.method !== 'string') throw bad('a request needs a url and a method');
  return { url: given.url, method: given.method, headers: headerList(given.headers) };
}

function responseData(value: unknown): ResponseData {
  const given = (value ?? {}) as Partial<ResponseData>;
  if (!Number.isInteger(given.status) || typeof given.statusText !== 'string') throw bad('a response needs a status and a statusText');
  const body = given.body as unknown;
  if (!(body instanceof Uint8Array)) throw bad('a response body must be bytes');
  return { status: given.status!, statusText: given.statusText, headers: headerList(given.headers), body };
}

function matchOptions(value: unknown): MatchOptions {
  const given = (value ?? {}) as Record<string, unknown>;
  return { ignoreMethod: given.ignoreMethod === true, ignoreVary: given.ignoreVary === true, ignoreSearch: given.ignoreSearch === true };
}

/** A copy the bridge can carry: plain arrays and a plain Uint8Array (not a pooled Buffer). */
function plain(found: ResponseData | undefined): ResponseData | undefined {
  return found && { ...found, body: new Uint8Array(found.body) };
}
