// Apps built from source and served over HTTP use the tenant cache (env.CACHE) and the Cache API (caches) together.
import test, { type ExecutionContext } from 'ava';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from '../../../adapters/node.js';
import { originOf, send } from '../../helpers/http.js';
import { OwnRedis, redisUrl, tempDir } from './helpers.js';

const APP = new URL('./fixtures/cache-app.js', import.meta.url);

/** Serves apps `shop` and `blog` (the same source) over HTTP on a loopback port, with the cache on `storeUrl`. */
async function serve(t: ExecutionContext, storeUrl: string, limits = {}) {
  const apps = await tempDir(t);
  for (const app of ['shop', 'blog']) {
    await mkdir(join(apps, app));
    await copyFile(APP, join(apps, app, 'index.js'));
  }
  const server = await createServer({ apps, stores: { cache: storeUrl }, limits, logger: { level: 'silent' } });
  t.teardown(() => server.close(100));
  const origin = originOf(await server.listen(0, '127.0.0.1'));
  return {
    runtime: server.runtime,
    get: async (app: string, path: string, headers: Record<string, string> = {}) => {
      const reply = await send(origin, { host: `${app}.localhost`, path, headers });
      return { ...reply, json: () => JSON.parse(reply.body) as Record<string, unknown> };
    },
  };
}

test('an app uses the tenant cache and the Cache API over HTTP, each app in its own space', async (t) => {
  const { get } = await serve(t, redisUrl(t), { cacheValueBytes: 1_000 });
  t.deepEqual((await get('shop', '/hits')).json(), { hits: 1, stored: true });
  t.deepEqual((await get('shop', '/hits')).json(), { hits: 2, stored: true });
  t.deepEqual((await get('blog', '/hits')).json(), { hits: 1, stored: true }, 'the blog has its own "hits"');

  t.deepEqual((await get('shop', '/set?key=greeting&value=hi&ttl=60&tag=copy')).json(), { stored: true });
  const read = (await get('shop', '/get?key=greeting')).json();
  t.is(read.value, 'hi');
  t.true((read.ttl as number) > 50 && (read.ttl as number) <= 60);
  t.deepEqual((await get('blog', '/get?key=greeting')).json(), { value: null, ttl: null });
  t.deepEqual((await get('blog', '/purge?tag=copy')).json(), { purged: [] });
  t.deepEqual((await get('shop', '/purge?tag=copy')).json(), { purged: ['greeting'] });
  t.deepEqual((await get('shop', '/get?key=greeting')).json(), { value: null, ttl: null });

  t.deepEqual((await get('shop', '/bytes')).json(), { isArrayBuffer: true, bytes: [1, 2, 3, 255], many: ['2', null] });
  const tooBig = await get('shop', '/too-big?size=1001');
  t.is(tooBig.status, 413);
  t.regex(tooBig.json().error as string, /limits\.cacheValueBytes/);
  t.deepEqual((await get('shop', '/module')).json(), { same: true, value: '2' }, 'import cache from "hangar:cache" is the same tenant cache');

  const first = await get('shop', '/page');
  t.is(first.body, 'rendered shop.localhost #1');
  const second = await get('shop', '/page');
  t.is(second.body, 'rendered shop.localhost #1', 'answered from caches.default');
  t.regex(String(second.headers.age), /^\d+$/);
  t.is((await get('blog', '/page')).body, 'rendered blog.localhost #1');
  t.is((await get('blog', '/page')).body, 'rendered blog.localhost #1');
  const notModified = await get('shop', '/page', { 'if-none-match': '"page-1"' });
  t.is(notModified.status, 304);
  t.is(notModified.body, '');
  const partial = await get('shop', '/page', { range: 'bytes=0-7' });
  t.is(partial.status, 206);
  t.is(partial.body, 'rendered');
  t.is(partial.headers['content-range'], 'bytes 0-7/26');
  t.deepEqual((await get('shop', '/named')).json(), { named: 'fragment', inDefault: true, deleted: true });
  t.deepEqual((await get('shop', '/bad-put')).json(), { error: 'TypeError' });
});

test('while Redis is away, apps keep answering with the cache as a miss, and it comes back by itself', async (t) => {
  const redis = await OwnRedis.start(t);
  const { get } = await serve(t, redis.url);
  t.deepEqual((await get('shop', '/hits')).json(), { hits: 1, stored: true });
  t.deepEqual((await get('shop', '/hits')).json(), { hits: 2, stored: true });
  await redis.stop();
  let during = await get('shop', '/hits');
  // The first request may race the client noticing the crash; by the next one it has.
  if ((during.json() as { stored: boolean }).stored) during = await get('shop', '/hits');
  t.is(during.status, 200);
  t.deepEqual(during.json(), { hits: 1, stored: false });
  t.is((await get('shop', '/page')).status, 200, 'the Cache API misses too, and the page is still served');
  await redis.resume();
  let after = (await get('shop', '/hits')).json();
  for (let tries = 0; !after.stored && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    after = (await get('shop', '/hits')).json();
  }
  t.true(after.stored as boolean, 'writes work again without a restart');
  t.deepEqual((await get('shop', '/hits')).json(), { hits: (after.hits as number) + 1, stored: true });
});

test('an app reading one large value many times at once gets E_LIMIT_CACHE past its read budget, and the host serves on', async (t) => {
  const { get } = await serve(t, redisUrl(t), { cacheValueBytes: 300_000, cacheReadBytes: 1_000_000 });
  t.deepEqual((await get('shop', '/flood?size=300000&n=50')).json(), { ok: 3, limited: 47 });
  t.deepEqual((await get('shop', '/flood?size=300000&n=3')).json(), { ok: 3, limited: 0 }, 'answered reads no longer count');
  t.deepEqual((await get('blog', '/hits')).json(), { hits: 1, stored: true });
});
