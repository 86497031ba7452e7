// The SQLite store is the embedded persistent one: entries, tags and byte budgets survive a restart.
import test from 'ava';
import { join } from 'node:path';
import { ErrorCode, HangarError } from '../../../core/errors.js';
import { EdgeRuntime } from '../../../core/runtime.js';
import { CachePlugin } from '../../../plugins/cache/index.js';
import { cacheRuntime, sleep, tempDir } from './helpers.js';

test('entries, their TTLs and their tags survive a restart on the same SQLite file', async (t) => {
  const url = `sqlite://${join(await tempDir(t), 'nested', 'cache.db')}`;
  const first = cacheRuntime(t, url, { limits: { cacheAppBytes: 3000 } });
  const before = first.plugin.tenantCache('shop');
  t.true(await before.set('kept', 'v', { tags: ['red'] }));
  t.true(await before.set('bytes', new Uint8Array([1, 2, 3]), { ttl: 60 }));
  t.true(await before.set('brief', 'v', { ttl: 0.2, tags: ['red'] }));
  t.true(await before.set('big', 'x'.repeat(2000)));
  await first.plugin.caches('shop').default.put('https://shop.example/a', new Response('page', { headers: { 'cache-control': 'max-age=60' } }));
  await first.runtime.close();
  await sleep(300);

  const second = cacheRuntime(t, url, { limits: { cacheAppBytes: 3000 } });
  const after = second.plugin.tenantCache('shop');
  t.is(await after.getString('kept'), 'v');
  t.deepEqual([...new Uint8Array((await after.get('bytes'))!)], [1, 2, 3]);
  t.true((await after.ttl('bytes'))! > 50);
  t.is(await after.getString('brief'), null);
  t.is(await (await second.plugin.caches('shop').default.match('https://shop.example/a'))?.text(), 'page');
  // The byte budget counts what the file already holds...
  const error = await t.throwsAsync(after.set('more', 'x'.repeat(1000)), { instanceOf: HangarError });
  t.is(error?.code, ErrorCode.LIMIT_CACHE);
  // ...and purge finds tags set before the restart.
  t.deepEqual(await after.purgeTag('red'), ['kept']);
  t.true(await after.del('big'));
  t.true(await after.set('more', 'x'.repeat(1000)));
});

test('stores.default picks the cache store when stores.cache is not set', async (t) => {
  const dir = await tempDir(t);
  const open = () => {
    const runtime = new EdgeRuntime({ logger: { level: 'silent' }, stores: { default: `sqlite://${join(dir, 'all.db')}` } });
    const plugin = new CachePlugin();
    runtime.use(plugin);
    t.teardown(() => runtime.close());
    return { runtime, cache: plugin.tenantCache('shop') };
  };
  const first = open();
  t.true(await first.cache.set('k', 'kept'));
  await first.runtime.close();
  t.is(await open().cache.getString('k'), 'kept');
});
