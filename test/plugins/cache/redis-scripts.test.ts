// The cache's Lua scripts run in the order they were called, on first use, on later use, and after Redis lost them.
import test from 'ava';
import { createClient } from '@keyv/redis';
import { cacheRuntime, connected, eventually, OwnRedis } from './helpers.js';

test('a script the connection has not run goes by source, in order with the commands sent after it', async (t) => {
  // A private Redis: its script cache is empty, so the first tagged write cannot go by digest.
  const redis = await OwnRedis.start(t);
  const cache = cacheRuntime(t, redis.url, { plugin: { layer: { maxBytes: 0 } } }).plugin.tenantCache('shop');
  t.true(await connected(cache));
  // One turn: had the tagged write gone by digest and been sent again after NOSCRIPT, the read and the plain write
  // after it would have run first.
  t.deepEqual(await Promise.all([cache.set('k', 'tagged', { tags: ['t'] }), cache.getString('k'), cache.set('k', 'plain')]), [true, 'tagged', true]);
  t.is(await cache.getString('k'), 'plain');
});

test('when Redis drops its scripts under a live connection, one call fails (logged, answered as a miss) and the next sends the source', async (t) => {
  const redis = await OwnRedis.start(t);
  const { plugin, logs } = cacheRuntime(t, redis.url, { plugin: { layer: { maxBytes: 0 } } });
  const cache = plugin.tenantCache('shop');
  t.true(await eventually(() => cache.set('a', 'one', { tags: ['t'] })));
  t.true(await cache.set('b', 'two', { tags: ['t'] }), 'by digest now');
  const admin = createClient({ url: redis.url });
  await admin.connect();
  t.teardown(() => admin.close());
  await admin.scriptFlush();

  t.false(await cache.set('c', 'three', { tags: ['t'] }));
  t.is(await cache.getString('c'), null, 'the failed call did not run later either');
  t.true(
    logs.lines.some((line) => line.level === 50 && JSON.stringify(line).includes('no longer held')),
    'the failure is logged with what happened',
  );
  t.true(await cache.set('c', 'three', { tags: ['t'] }));
  t.deepEqual((await cache.purgeTag('t')).sort(), ['a', 'b', 'c']);
});
