// The cache bindings' host methods: they check what app code sends across the bridge, and hand back plain copies.
import test from 'ava';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { CACHE_MODULE, cachesBinding, tenantCacheBindings } from '../../../plugins/cache/binding.js';
import { cacheRuntime } from './helpers.js';

test('the tenant cache is bound as env.CACHE and as the hangar:cache global, with the same host methods', (t) => {
  const { plugin } = cacheRuntime(t, 'memory:');
  const [env, module] = tenantCacheBindings(plugin.tenantCache('shop'));
  t.is(env!.name, 'CACHE');
  t.is(env!.scope, undefined);
  t.is(module!.name, CACHE_MODULE);
  t.is(module!.scope, 'global');
  t.is(module!.methods, env!.methods);
  t.deepEqual(Object.keys(env!.methods).sort(), ['del', 'expire', 'get', 'getMulti', 'getMultiString', 'getString', 'purgeTag', 'set', 'setTags', 'ttl']);
});

test('caches host methods refuse malformed requests and responses, and answer plain bytes', async (t) => {
  const { plugin } = cacheRuntime(t, 'memory:');
  const binding = cachesBinding(plugin.caches('shop'));
  t.is(binding.scope, 'global');
  const { match, put } = binding.methods;
  const refused = async (call: Promise<unknown>) => t.is((await t.throwsAsync(call, { instanceOf: HangarError }))?.code, ErrorCode.BAD_REQUEST);
  const request = { url: 'https://shop.example/', method: 'GET', headers: [] };
  const response = { status: 200, statusText: 'OK', headers: [['cache-control', 'max-age=60']], body: new Uint8Array([104, 105]) };
  await refused(put!(null, { url: 1, method: 'GET', headers: [] }, response));
  await refused(put!(null, { ...request, headers: [['a']] }, response));
  await refused(put!(null, request, { ...response, body: 'hi' }));
  await refused(put!(null, request, { ...response, status: '200' }));
  await refused(match!(null, null, {}));
  await refused(match!('', request, {}));
  await put!(null, request, response);
  const found = (await match!(null, request, undefined)) as { status: number; body: Uint8Array };
  t.is(found.status, 200);
  t.is(Object.getPrototypeOf(found.body), Uint8Array.prototype, 'a plain Uint8Array, not a pooled Buffer');
  t.deepEqual([...found.body], [104, 105]);
  t.is(await match!('other', request, {}), undefined, 'a named cache is not the default one');
});
