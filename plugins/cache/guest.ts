// Guest source of the cache bindings: evaluated inside each app's isolate, with `raw` (the host methods) in scope.

/** The tenant cache as apps see it (env.CACHE and `hangar:cache`): the host methods, plus Fly's `global` namespace. */
export const TENANT_CACHE_GUEST = `Object.freeze({ ...raw, global: Object.freeze({ del: raw.del, purgeTag: raw.purgeTag }) })`;

/**
 * The `caches` global: Cache objects that turn the app's Request/Response into plain data for the host and back.
 * Host refusals surface as TypeError, as the Cache API spec throws them.
 */
export const CACHES_GUEST = `(() => {
  const head = (input) => {
    const request = input instanceof Request ? input : new Request(input);
    return { url: request.url, method: request.method, headers: [...request.headers] };
  };
  const flags = (options) => ({
    ignoreMethod: options?.ignoreMethod === true,
    ignoreVary: options?.ignoreVary === true,
    ignoreSearch: options?.ignoreSearch === true,
  });
  const typeErrors = async (call) => {
    try {
      return await call();
    } catch (error) {
      throw error instanceof TypeError ? error : new TypeError(error.message);
    }
  };
  class Cache {
    #name;
    constructor(name) {
      this.#name = name;
    }
    match(request, options) {
      return typeErrors(async () => {
        const found = await raw.match(this.#name, head(request), flags(options));
        if (!found) return undefined;
        const nullBody = found.status === 304 || found.status === 204;
        return new Response(nullBody ? null : found.body, { status: found.status, statusText: found.statusText, headers: found.headers });
      });
    }
    put(request, response) {
      return typeErrors(async () => {
        if (!(response instanceof Response)) throw new TypeError('Cache.put: the second argument must be a Response');
        if (response.bodyUsed) throw new TypeError('Cache.put: the response body was already used');
        const target = head(request);
        const body = new Uint8Array(await response.arrayBuffer());
        await raw.put(this.#name, target, { status: response.status, statusText: response.statusText, headers: [...response.headers], body });
      });
    }
    delete(request, options) {
      return typeErrors(() => raw.delete(this.#name, head(request), flags(options)));
    }
  }
  const named = new Map();
  return Object.freeze({
    default: new Cache(null),
    async open(name) {
      const key = String(name);
      if (!named.has(key)) named.set(key, new Cache(key));
      return named.get(key);
    },
  });
})()`;
